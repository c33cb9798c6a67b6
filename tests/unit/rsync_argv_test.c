/* rsync_argv_test.c - the rsync target's command lines and its reading
 * of a failed run (worker/targets/rsync_argv.h, rsync_run.h), without a
 * server: every configured value stays one argv element or one quoted
 * word, hostile folders stay paths, and ssh's and rsync's messages map to
 * the right retry decision. test_target_rsync runs them against sshd. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"

#include "config/config_ssh.h"
#include "targets/rsync_argv.h"
#include "targets/rsync_run.h"

#define T_BUF 4096

static rsync_conf
conf(const char *folder)
{
	rsync_conf c = {.host = "pacs.example.org",
	    .user = "mercure",
	    .folder = folder,
	    .key = "/etc/mercure/id ed25519",
	    .known_hosts = "/etc/mercure/known_hosts",
	    .port = 2222,
	    .connect_timeout_s = 10,
	    .io_timeout_s = 300};
	return c;
}

/* the argv joined with '|' between the elements */
static void
joined(const rsync_argv *a, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < a->n; i++)
		pos += (size_t) snprintf(
		    buf + pos, len - pos, "%s%s", i ? "|" : "", a->v[i]);
}

START_TEST(host_and_user_names_that_ssh_could_misread_are_refused)
{
	ck_assert(config_ssh_host_is_valid("pacs.example.org"));
	ck_assert(config_ssh_host_is_valid("10.0.0.5"));
	ck_assert(config_ssh_host_is_valid("fe80::1"));
	ck_assert(config_ssh_host_is_valid("my_host-2"));
	ck_assert(!config_ssh_host_is_valid("-oProxyCommand=x"));
	ck_assert(!config_ssh_host_is_valid(".hidden"));
	ck_assert(!config_ssh_host_is_valid("a b"));
	ck_assert(!config_ssh_host_is_valid("a;b"));
	ck_assert(!config_ssh_host_is_valid("user@host"));
	ck_assert(!config_ssh_host_is_valid("fe80::1%eth0"));
	ck_assert(!config_ssh_host_is_valid(""));
	ck_assert(!config_ssh_host_is_valid(NULL));
	ck_assert(config_ssh_user_is_valid("mercure"));
	ck_assert(config_ssh_user_is_valid("svc.mercure_2"));
	ck_assert(!config_ssh_user_is_valid("-l"));
	ck_assert(!config_ssh_user_is_valid("a b"));
	ck_assert(!config_ssh_user_is_valid("root@evil"));
	ck_assert(!config_ssh_user_is_valid("x'y"));
	ck_assert(!config_ssh_user_is_valid(""));
}
END_TEST

START_TEST(remote_folders_never_start_with_a_dash_and_tilde_means_home)
{
	char       buf[T_BUF];
	rsync_conf c = conf("/data/in");

	ck_assert_int_eq(rsync_argv_remote_dir(&c, "t1/", buf, T_BUF), MC_OK);
	ck_assert_str_eq(buf, "/data/in/t1/");
	c.folder = "-e touch x";
	ck_assert_int_eq(rsync_argv_remote_dir(&c, "t1", buf, T_BUF), MC_OK);
	ck_assert_str_eq(buf, "./-e touch x/t1");
	c.folder = "~/incoming";
	ck_assert_int_eq(rsync_argv_remote_dir(&c, NULL, buf, T_BUF), MC_OK);
	ck_assert_str_eq(buf, "incoming");
	c.folder = "~";
	ck_assert_int_eq(rsync_argv_remote_dir(&c, "", buf, T_BUF), MC_OK);
	ck_assert_str_eq(buf, "./");
	ck_assert_int_eq(rsync_argv_remote_dir(&c, "x", buf, 3), MC_EINVAL);
}
END_TEST

START_TEST(the_transfer_keeps_every_value_one_argument_after_the_options)
{
	char       ssh[T_BUF], buf[T_BUF];
	rsync_conf c = conf("/data/a b;c");
	rsync_argv s = {0}, a = {0};

	ck_assert_int_eq(rsync_argv_ssh(&c, &s), MC_OK);
	ck_assert_int_eq(rsync_argv_rsh(&s, ssh, sizeof(ssh)), MC_OK);
	ck_assert_str_eq(ssh,
	    "'ssh' '-p' '2222' '-o' 'ConnectTimeout=10' '-o' "
	    "'ServerAliveInterval=10' '-o' 'GlobalKnownHostsFile=/dev/null' "
	    "'-o' 'StrictHostKeyChecking=yes' '-o' "
	    "'UserKnownHostsFile=\"/etc/mercure/known_hosts\"' '-o' "
	    "'BatchMode=yes' '-o' 'IdentityFile=\"/etc/mercure/id "
	    "ed25519\"' '-o' 'IdentitiesOnly=yes'");
	ck_assert_int_eq(rsync_argv_transfer(&c, ssh, "/tmp/x/files", "/",
	                     "/data/a b;c/t1/", &a),
	    MC_OK);
	joined(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(
	    strstr(buf, "rsync|-s|--timeout=300|-e|'ssh' '-p' "));
	ck_assert_ptr_nonnull(strstr(buf,
	    "|-rtz|--chmod=D770,F660|--files-from=/tmp/x/files|--from0|"
	    "--no-relative|--|/|mercure@pacs.example.org:/data/a b;c/t1/"));
	ck_assert_str_eq(
	    a.v[a.n - 1], "mercure@pacs.example.org:/data/a b;c/t1/");
	ck_assert_ptr_null(a.v[a.n]);
	rsync_argv_fini(&s);
	rsync_argv_fini(&a);
}
END_TEST

START_TEST(a_quote_in_an_ssh_word_is_doubled_for_rsync)
{
	rsync_argv s = {0};
	char       buf[T_BUF];

	s.v[0] = (char *) "it's";
	s.v[1] = (char *) "a b";
	s.n = 2;
	ck_assert_int_eq(rsync_argv_rsh(&s, buf, sizeof(buf)), MC_OK);
	ck_assert_str_eq(buf, "'it''s' 'a b'");
	ck_assert_int_eq(rsync_argv_rsh(&s, buf, 8), MC_EINVAL);
}
END_TEST

START_TEST(a_password_login_goes_through_sshpass_and_never_into_argv)
{
	char       buf[T_BUF];
	rsync_conf c = conf("/in");
	rsync_argv a = {0};

	c.key = NULL;
	c.password = true;
	ck_assert_int_eq(rsync_argv_list(&c, "ssh", "/in/", &a), MC_OK);
	joined(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "sshpass|-e|rsync|-s|--timeout=300|-e|ssh|--list-only|--|"
	    "mercure@pacs.example.org:/in/");
	rsync_argv_fini(&a);
	ck_assert_int_eq(rsync_argv_ssh(&c, &a), MC_OK);
	joined(&a, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "BatchMode=no|-o|"
	                                  "PubkeyAuthentication=no"));
	ck_assert_ptr_null(strstr(buf, "IdentityFile"));
	rsync_argv_fini(&a);
	/* a key wins over a password, as in the sftp target */
	c.key = "/k";
	ck_assert_int_eq(rsync_argv_list(&c, "ssh", "/in/", &a), MC_OK);
	ck_assert_str_eq(a.v[0], "rsync");
	rsync_argv_fini(&a);
}
END_TEST

START_TEST(an_ipv6_host_is_bracketed_for_rsync_and_bare_for_ssh)
{
	rsync_conf c = conf("/in");
	rsync_argv a = {0};

	c.host = "fe80::1";
	c.insecure = true;
	ck_assert_int_eq(rsync_argv_list(&c, "ssh", "/in/", &a), MC_OK);
	ck_assert_str_eq(a.v[a.n - 1], "mercure@[fe80::1]:/in/");
	rsync_argv_fini(&a);
	ck_assert_int_eq(rsync_argv_remote_command(&c, "true", &a), MC_OK);
	ck_assert_str_eq(a.v[a.n - 4], "mercure");
	ck_assert_str_eq(a.v[a.n - 3], "--");
	ck_assert_str_eq(a.v[a.n - 2], "fe80::1");
	ck_assert_str_eq(a.v[a.n - 1], "true");
	rsync_argv_fini(&a);
}
END_TEST

START_TEST(the_complete_command_quotes_every_word_for_the_remote_shell)
{
	char       buf[T_BUF];
	rsync_conf c = conf("/d/x'; rm -rf / #$(id)");

	ck_assert_int_eq(
	    rsync_argv_complete_command(&c, "t1", "my target", buf, T_BUF),
	    MC_OK);
	ck_assert_str_eq(buf,
	    "'/d/x'\\''; rm -rf / #$(id)/mercure_complete.sh' "
	    "'/d/x'\\''; rm -rf / #$(id)/t1' 'my target'");
	c.folder = "-x";
	ck_assert_int_eq(
	    rsync_argv_complete_command(&c, "t1", "s", buf, T_BUF), MC_OK);
	ck_assert_str_eq(buf, "'./-x/mercure_complete.sh' './-x/t1' 's'");
}
END_TEST

START_TEST(paths_ssh_would_expand_or_split_are_refused)
{
	char err[256];

	ck_assert_int_eq(
	    rsync_argv_check_path("ssh_key", "/etc/a b/k", err, sizeof(err)),
	    MC_OK);
	ck_assert_int_eq(
	    rsync_argv_check_path("ssh_key", "/k%d", err, sizeof(err)),
	    MC_ECONFIG);
	ck_assert_str_eq(err,
	    "rsync: ssh_key must not hold quotes, backslashes, '%', '$' or "
	    "control characters (ssh would read them)");
	ck_assert_int_eq(
	    rsync_argv_check_path("known_hosts", "/a\"b", err, sizeof(err)),
	    MC_ECONFIG);
	ck_assert_int_eq(
	    rsync_argv_check_path("known_hosts", "/${HOME}", err, sizeof(err)),
	    MC_ECONFIG);
	ck_assert_int_eq(
	    rsync_argv_check_path("known_hosts", "/a\nb", err, sizeof(err)),
	    MC_ECONFIG);
}
END_TEST

static rsync_failure
judge(const char *out, int code, bool sshpass, char *line)
{
	sys_child_status st = {.exited = true, .exit_code = code};

	return rsync_run_judge(out, &st, sshpass, line, 128);
}

START_TEST(ssh_and_rsync_messages_decide_whether_a_retry_can_help)
{
	char line[128];

	ck_assert_int_eq(judge("No ED25519 host key is known for [h]:22 and "
	                       "you have requested strict checking.\r\nHost "
	                       "key verification failed.\r\nrsync: "
	                       "connection unexpectedly closed (0 bytes "
	                       "received so far) [sender]\nrsync error: "
	                       "unexplained error (code 255)\n",
	                     255, false, line),
	    RSYNC_FAIL_HOST_KEY_UNKNOWN);
	ck_assert_str_eq(line, "No ED25519 host key is known for [h]:22 and "
	                       "you have requested strict checking.");
	ck_assert_int_eq(judge("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS "
	                       "CHANGED! @@@\nHost key verification failed.\n",
	                     255, false, line),
	    RSYNC_FAIL_HOST_KEY_CHANGED);
	ck_assert_int_eq(
	    judge("root@h: Permission denied (publickey,password).\n", 255,
	        false, line),
	    RSYNC_FAIL_LOGIN);
	ck_assert_int_eq(judge("", 5, true, line), RSYNC_FAIL_LOGIN);
	ck_assert_int_eq(judge("", 5, false, line), RSYNC_FAIL_OTHER);
	ck_assert_int_eq(judge("ssh: connect to host h port 22: Connection "
	                       "refused\nrsync error: unexplained error\n",
	                     255, false, line),
	    RSYNC_FAIL_NETWORK);
	ck_assert_str_eq(line, "ssh: connect to host h port 22: Connection "
	                       "refused");
	ck_assert_int_eq(judge("sh: 1: rsync: not found\n", 127, false, line),
	    RSYNC_FAIL_NOT_FOUND);
	ck_assert_int_eq(
	    judge("rsync: --bad: unknown option\n", 1, false, line),
	    RSYNC_FAIL_USAGE);
	ck_assert_int_eq(judge("rsync error: some files could not be "
	                       "transferred (code 23)\n",
	                     23, false, line),
	    RSYNC_FAIL_OTHER);
	ck_assert_str_eq(line,
	    "rsync error: some files could not be transferred (code 23)");
	ck_assert(rsync_failure_is_retryable(RSYNC_FAIL_NETWORK));
	ck_assert(rsync_failure_is_retryable(RSYNC_FAIL_OTHER));
	ck_assert(!rsync_failure_is_retryable(RSYNC_FAIL_LOGIN));
	ck_assert(!rsync_failure_is_retryable(RSYNC_FAIL_HOST_KEY_UNKNOWN));
	ck_assert(!rsync_failure_is_retryable(RSYNC_FAIL_HOST_KEY_CHANGED));
	ck_assert(!rsync_failure_is_retryable(RSYNC_FAIL_USAGE));
	ck_assert(!rsync_failure_is_retryable(RSYNC_FAIL_NOT_FOUND));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rsync_argv");
	TCase *names = tcase_create("names and paths");
	TCase *argv = tcase_create("command lines");
	TCase *judged = tcase_create("failures");

	tcase_add_test(
	    names, host_and_user_names_that_ssh_could_misread_are_refused);
	tcase_add_test(names,
	    remote_folders_never_start_with_a_dash_and_tilde_means_home);
	tcase_add_test(names, paths_ssh_would_expand_or_split_are_refused);
	tcase_add_test(argv,
	    the_transfer_keeps_every_value_one_argument_after_the_options);
	tcase_add_test(argv, a_quote_in_an_ssh_word_is_doubled_for_rsync);
	tcase_add_test(
	    argv, a_password_login_goes_through_sshpass_and_never_into_argv);
	tcase_add_test(
	    argv, an_ipv6_host_is_bracketed_for_rsync_and_bare_for_ssh);
	tcase_add_test(
	    argv, the_complete_command_quotes_every_word_for_the_remote_shell);
	tcase_add_test(
	    judged, ssh_and_rsync_messages_decide_whether_a_retry_can_help);
	suite_add_tcase(s, names);
	suite_add_tcase(s, argv);
	suite_add_tcase(s, judged);
	return mc_check_run(s);
}
