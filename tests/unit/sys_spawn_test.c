/* sys_spawn_test.c - the one posix_spawn set-up: real /bin/sh children
 * whose output lands in the log (or in our stdout), whose exit status
 * comes back, who start with no blocked and no ignored signals whatever
 * the parent has, and whose process group is their own only when asked,
 * so that killing the group stops what they forked. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"

#include "os/sys_fs.h"
#include "os/sys_spawn.h"

#define WAIT_MS 5000
#define GONE_POLL_MS 10

static char dir[64], logp[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s", "/tmp/mc-sys-spawn.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(logp, sizeof(logp), "%s/child.log", dir);
	ck_assert_int_eq(sys_fs_apply_file_mode(SYS_FILE_MODE_DEFAULT), MC_OK);
}

static void
teardown(void)
{
	ck_assert_int_eq(sys_remove_tree(dir), MC_OK);
}

/* sh - start `/bin/sh -c script` with flags; the log unless log is NULL */
static pid_t
sh(const char *script, const char *log, unsigned flags)
{
	char          *argv[] = {"/bin/sh", "-c", (char *) script, NULL};
	sys_spawn_opts o = {argv, NULL, log, flags};
	char           err[256] = "";
	pid_t          pid;

	ck_assert_msg(
	    sys_spawn_start(&o, &pid, err, sizeof(err)) == MC_OK, "%s", err);
	ck_assert_int_gt(pid, 0);
	return pid;
}

static sys_child_status
wait_for(pid_t pid)
{
	sys_child_status st;

	ck_assert_int_eq(sys_spawn_wait(pid, WAIT_MS, &st), MC_OK);
	return st;
}

/* slurp - the whole file as a string (freed by the caller) */
static char *
slurp(const char *path)
{
	char  *text = NULL;
	size_t len = 0;

	ck_assert_int_eq(sys_read_file(path, &text, &len), MC_OK);
	ck_assert_uint_eq(strlen(text), len);
	return text;
}

/* log_of - run script with the log, check that it exits with want; the
 * log's text (freed by the caller) */
static char *
log_of(const char *script, int want)
{
	sys_child_status st = wait_for(sh(script, logp, 0));

	ck_assert(st.exited);
	ck_assert_int_eq(st.exit_code, want);
	return slurp(logp);
}

/* status_field - the hex value of "Name:" in the log, a copy of the
 * child's /proc/self/status */
static unsigned long long
status_field(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	ck_assert_msg(p != NULL, "no %s in:\n%s", name, text);
	return strtoull(p + strlen(name), NULL, 16);
}

/* gone - pid has ended (or is a zombie no one reaps yet) within 2 s */
static int
gone(pid_t pid)
{
	char   path[64], *text = NULL, *rp;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long) pid);
	for (int i = 0; i < 2000 / GONE_POLL_MS; i++) {
		if (sys_read_file(path, &text, &len) != MC_OK)
			return 1;
		rp = strrchr(text, ')');
		if (rp != NULL && rp[1] == ' ' && rp[2] == 'Z') {
			free(text);
			return 1;
		}
		free(text);
		usleep(GONE_POLL_MS * 1000);
	}
	return 0;
}

START_TEST(stdout_and_stderr_go_to_the_log_and_the_exit_code_comes_back)
{
	char *text;

	ck_assert_int_eq(sys_write_file_sync(logp, "before\n", 7), MC_OK);
	text = log_of(
	    "echo out; echo err >&2; read x; echo \"in=$x\"; exit 3", 3);
	/* stdin is /dev/null: read gets nothing */
	ck_assert_str_eq(text, "before\nout\nerr\nin=\n");
	free(text);
}
END_TEST

START_TEST(a_new_log_is_created_with_the_configured_mode)
{
	struct stat sb;

	free(log_of("echo x", 0));
	ck_assert_int_eq(stat(logp, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
}
END_TEST

START_TEST(signals_blocked_or_ignored_here_are_reset_in_the_child)
{
	sigset_t           block;
	char              *text;
	unsigned long long ign;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* the shell reads its own status: the mask it was started with */
	text = log_of("while read k v; do case $k in SigBlk:|SigIgn:) "
	              "echo \"$k $v\";; esac; done < /proc/$$/status",
	    0);
	ck_assert_msg(status_field(text, "SigBlk:") == 0, "%s", text);
	ign = status_field(text, "SigIgn:");
	ck_assert_msg((ign & (1ull << (SIGPIPE - 1))) == 0, "%s", text);
	ck_assert_msg((ign & (1ull << (SIGINT - 1))) == 0, "%s", text);
	ck_assert_msg((ign & (1ull << (SIGTERM - 1))) == 0, "%s", text);
	free(text);
}
END_TEST

START_TEST(a_blocked_sigterm_here_still_stops_the_child)
{
	sigset_t         block;
	sys_child_status st;
	pid_t            pid;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	pid = sh("exec sleep 30", logp, SYS_SPAWN_NEW_PGROUP);
	sys_spawn_kill_group(pid, WAIT_MS, &st);
	ck_assert(!st.exited);
	ck_assert_int_eq(st.signal, SIGTERM);
}
END_TEST

START_TEST(a_new_process_group_is_made_only_when_asked)
{
	sys_child_status st;
	pid_t            own, shared;

	own = sh("sleep 30", logp, SYS_SPAWN_NEW_PGROUP);
	shared = sh("sleep 30", logp, 0);
	ck_assert_int_eq(getpgid(own), own);
	ck_assert_int_eq(getpgid(shared), getpgrp());
	sys_spawn_kill_group(own, WAIT_MS, &st);
	ck_assert_int_eq(kill(shared, SIGKILL), 0);
	st = wait_for(shared);
	ck_assert_int_eq(st.signal, SIGKILL);
}
END_TEST

START_TEST(killing_the_group_stops_what_the_child_forked)
{
	char             pidfile[160], *text;
	sys_child_status st;
	pid_t            pid, grandchild = 0;
	char             script[640];

	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", dir);
	snprintf(script, sizeof(script),
	    "sleep 30 & echo $! > %s.tmp; mv %s.tmp %s; wait", pidfile,
	    pidfile, pidfile);
	pid = sh(script, logp, SYS_SPAWN_NEW_PGROUP);
	for (int i = 0; i < WAIT_MS / GONE_POLL_MS && grandchild == 0; i++) {
		if (sys_exists(pidfile)) {
			text = slurp(pidfile);
			grandchild = (pid_t) strtol(text, NULL, 10);
			free(text);
		} else {
			usleep(GONE_POLL_MS * 1000);
		}
	}
	ck_assert_int_gt(grandchild, 0);
	ck_assert_int_eq(getpgid(grandchild), pid);
	sys_spawn_kill_group(pid, WAIT_MS, &st);
	ck_assert(!st.exited);
	ck_assert(gone(grandchild));
}
END_TEST

START_TEST(without_a_log_the_child_writes_to_our_stdout)
{
	char path[160], *text;
	int  fd, saved = dup(1);

	snprintf(path, sizeof(path), "%s/stdout", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 1), 1);
	close(fd);
	ck_assert_int_eq(wait_for(sh("echo inherited", NULL, 0)).exit_code, 0);
	ck_assert_int_eq(dup2(saved, 1), 1);
	close(saved);
	text = slurp(path);
	ck_assert_str_eq(text, "inherited\n");
	free(text);
}
END_TEST

START_TEST(the_environment_is_the_one_given_or_ours)
{
	char *argv[] = {
	    "/bin/sh", "-c", "echo \"foo=$FOO ours=$MC_SPAWN_TEST\"", NULL};
	char          *envp[] = {"FOO=bar", NULL};
	sys_spawn_opts given = {argv, envp, logp, 0};
	sys_spawn_opts ours = {argv, NULL, logp, 0};
	char           err[256], *text;
	pid_t          pid;

	ck_assert_int_eq(setenv("MC_SPAWN_TEST", "yes", 1), 0);
	ck_assert_int_eq(
	    sys_spawn_start(&given, &pid, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(wait_for(pid).exit_code, 0);
	ck_assert_int_eq(
	    sys_spawn_start(&ours, &pid, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(wait_for(pid).exit_code, 0);
	text = slurp(logp);
	ck_assert_str_eq(text, "foo=bar ours=\nfoo= ours=yes\n");
	free(text);
}
END_TEST

/* refused - sys_spawn_start(o) fails with want and err says want_err;
 * no child */
static void
refused(const sys_spawn_opts *o, mc_err want, const char *want_err)
{
	sys_child_status st;
	char             err[256] = "";
	pid_t            pid;

	ck_assert_int_eq(sys_spawn_start(o, &pid, err, sizeof(err)), want);
	ck_assert_int_eq(pid, -1);
	ck_assert_str_eq(err, want_err);
	ck_assert(!sys_spawn_reap_any(&pid, &st));
}

START_TEST(a_missing_program_is_enoent_and_path_is_searched_only_when_asked)
{
	char          *abs[] = {"/nonexistent/mc-prog", NULL};
	char          *bare[] = {"sh", "-c", "exit 4", NULL};
	char          *nope[] = {"mc-no-such-program", NULL};
	sys_spawn_opts o = {abs, NULL, logp, 0};
	char           err[256] = "";
	pid_t          pid;

	refused(&o, MC_ENOENT, "program '/nonexistent/mc-prog' not found");
	/* a bare name is a file in the current folder unless searched */
	o.argv = bare;
	ck_assert_int_eq(chdir(dir), 0);
	refused(&o, MC_ENOENT, "program 'sh' not found");
	o.flags = SYS_SPAWN_SEARCH_PATH;
	ck_assert_int_eq(sys_spawn_start(&o, &pid, err, sizeof(err)), MC_OK);
	ck_assert_int_eq(wait_for(pid).exit_code, 4);
	o.argv = nope;
	refused(
	    &o, MC_ENOENT, "program 'mc-no-such-program' not found on PATH");
}
END_TEST

START_TEST(a_log_that_cannot_be_opened_is_eio_and_nothing_starts)
{
	char          *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
	char           bad[160], want[256];
	sys_spawn_opts o = {argv, NULL, bad, 0};

	snprintf(bad, sizeof(bad), "%s/no/such/folder/x.log", dir);
	snprintf(want, sizeof(want), "open %s: %s", bad, strerror(ENOENT));
	refused(&o, MC_EIO, want);
}
END_TEST

START_TEST(an_empty_command_is_einval)
{
	char          *argv[] = {"", NULL};
	sys_spawn_opts o = {argv, NULL, logp, 0};

	refused(&o, MC_EINVAL, "empty command");
}
END_TEST

START_TEST(reap_any_collects_each_ended_child_once)
{
	pid_t a = sh("exit 7", NULL, 0), b = sh("kill -9 $$", NULL, 0);
	sys_child_status st;
	pid_t            pid;
	int              seen = 0;

	for (int i = 0; i < WAIT_MS / GONE_POLL_MS && seen != 3; i++) {
		if (!sys_spawn_reap_any(&pid, &st)) {
			usleep(GONE_POLL_MS * 1000);
			continue;
		}
		if (pid == a) {
			ck_assert(st.exited);
			ck_assert_int_eq(st.exit_code, 7);
			seen |= 1;
		} else {
			ck_assert_int_eq(pid, b);
			ck_assert(!st.exited);
			ck_assert_int_eq(st.signal, SIGKILL);
			seen |= 2;
		}
	}
	ck_assert_int_eq(seen, 3);
	ck_assert(!sys_spawn_reap_any(&pid, &st));
}
END_TEST

START_TEST(wait_gives_up_at_the_deadline_and_the_child_still_runs)
{
	sys_child_status st;
	pid_t            pid = sh("exec sleep 30", logp, SYS_SPAWN_NEW_PGROUP);

	ck_assert_int_eq(sys_spawn_wait(pid, 50, &st), MC_ETIMEDOUT);
	ck_assert_int_eq(kill(pid, 0), 0);
	sys_spawn_kill_group(pid, WAIT_MS, &st);
	ck_assert_int_eq(st.signal, SIGTERM);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sys_spawn");
	TCase *out = tcase_create("output and status");
	TCase *sig = tcase_create("signals and process groups");
	TCase *err = tcase_create("errors");

	tcase_add_checked_fixture(out, setup, teardown);
	tcase_add_test(
	    out, stdout_and_stderr_go_to_the_log_and_the_exit_code_comes_back);
	tcase_add_test(out, a_new_log_is_created_with_the_configured_mode);
	tcase_add_test(out, without_a_log_the_child_writes_to_our_stdout);
	tcase_add_test(out, the_environment_is_the_one_given_or_ours);
	tcase_add_test(out, reap_any_collects_each_ended_child_once);
	tcase_add_checked_fixture(sig, setup, teardown);
	tcase_add_test(
	    sig, signals_blocked_or_ignored_here_are_reset_in_the_child);
	tcase_add_test(sig, a_blocked_sigterm_here_still_stops_the_child);
	tcase_add_test(sig, a_new_process_group_is_made_only_when_asked);
	tcase_add_test(sig, killing_the_group_stops_what_the_child_forked);
	tcase_add_test(
	    sig, wait_gives_up_at_the_deadline_and_the_child_still_runs);
	tcase_set_timeout(sig, 30);
	tcase_add_checked_fixture(err, setup, teardown);
	tcase_add_test(err,
	    a_missing_program_is_enoent_and_path_is_searched_only_when_asked);
	tcase_add_test(
	    err, a_log_that_cannot_be_opened_is_eio_and_nothing_starts);
	tcase_add_test(err, an_empty_command_is_einval);
	suite_add_tcase(s, out);
	suite_add_tcase(s, sig);
	suite_add_tcase(s, err);
	return mc_check_run(s);
}
