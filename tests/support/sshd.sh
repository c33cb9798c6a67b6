# sshd.sh - Debian's OpenSSH sshd for the sftp tests, in the foreground (-D -e) on a free loopback
# port with its own sshd_config and host key. Source after lib.sh; needs root (skips otherwise).
# shellcheck shell=bash
#
#   sshd_init          skip unless sshd and root; S=$MC_TMP/ssh with host keys host_a, host_b, a
#                      client key (ecdsa, PEM) authorized for root; PORT a free port
#   start_sshd HOSTKEY sshd with that host key on PORT (password and key auth); sets SSHD_PID,
#                      logs to $MC_TMP/sshd.log

sshd_init() {
	[ -x /usr/sbin/sshd ] || skip "openssh-server not installed"
	[ "$(id -u)" = 0 ] || skip "sshd needs root here"
	S=$MC_TMP/ssh
	mkdir -p "$S" /run/sshd
	ssh-keygen -q -t ed25519 -N "" -f "$S/host_a" || fail "ssh-keygen"
	ssh-keygen -q -t ed25519 -N "" -f "$S/host_b" || fail "ssh-keygen"
	ssh-keygen -q -t ecdsa -b 256 -m PEM -N "" -f "$S/client" || fail "ssh-keygen"
	cp "$S/client.pub" "$S/authorized_keys"
	PORT=$(free_port)
}

start_sshd() { # HOSTKEY
	cat >"$S/sshd_config" <<-EOF
		Port $PORT
		ListenAddress 127.0.0.1
		HostKey $1
		PidFile $S/sshd.pid
		AuthorizedKeysFile $S/authorized_keys
		StrictModes no
		PermitRootLogin prohibit-password
		PasswordAuthentication yes
		KbdInteractiveAuthentication no
		UsePAM no
		Subsystem sftp internal-sftp
		LogLevel VERBOSE
	EOF
	MC_LOGS+=("$MC_TMP/sshd.log")
	/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>>"$MC_TMP/sshd.log" &
	SSHD_PID=$!
	MC_PIDS+=("$SSHD_PID")
	for _ in $(seq 1 200); do
		"$PY" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$PORT)))" && return 0
		alive "$SSHD_PID" sshd
		sleep 0.05
	done
	fail "sshd does not listen on $PORT"
}

