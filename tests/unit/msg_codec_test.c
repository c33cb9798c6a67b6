/* msg_codec_test.c - instance messages survive the round trip, and bad
 * messages are refused with a reason instead of crashing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#include "msg/msg_codec.h"

static void
make_instance(mc_instance *in)
{
	mc_instance_init(in);
	mc_copy_text(in->study_uid, sizeof(in->study_uid), "1.2.3");
	mc_copy_text(in->series_uid, sizeof(in->series_uid), "1.2.3.4");
	mc_copy_text(in->sop_uid, sizeof(in->sop_uid), "1.2.3.4.5");
	mc_copy_text(in->sop_class_uid, sizeof(in->sop_class_uid),
	    "1.2.840.10008.5.1.4.1.1.4");
	mc_copy_text(
	    in->path, sizeof(in->path), "incoming/1.2.3.4/1.2.3.4.5.dcm");
	mc_copy_text(
	    in->sender_address, sizeof(in->sender_address), "127.0.0.1");
	mc_copy_text(in->sender_aet, sizeof(in->sender_aet), "STORESCU");
	mc_copy_text(in->receiver_aet, sizeof(in->receiver_aet), "MERCURE");
	in->size = 9826;
	in->recv_time_us = 1700000000123456;
	ck_assert_int_eq(mc_tagset_create(&in->tags), MC_OK);
	ck_assert_int_eq(mc_tagset_set(in->tags, "PatientName",
	                     "M\xc3\xbcller^J\xc3\xb6rg"),
	    MC_OK);
	ck_assert_int_eq(mc_tagset_set(in->tags, "Modality", "MR"), MC_OK);
}

START_TEST(instance_message_round_trips_every_field)
{
	mc_instance in, out;
	void       *buf;
	size_t      len;
	char        err[128], type[MSG_TYPE_MAX_LEN + 1];

	make_instance(&in);
	ck_assert_int_eq(msg_encode_instance(&in, &buf, &len), MC_OK);
	ck_assert_int_eq(
	    msg_peek_type(buf, len, type, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(type, "instance");
	mc_instance_init(&out);
	ck_assert_int_eq(
	    msg_decode_instance(buf, len, &out, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(out.study_uid, in.study_uid);
	ck_assert_str_eq(out.series_uid, in.series_uid);
	ck_assert_str_eq(out.sop_uid, in.sop_uid);
	ck_assert_str_eq(out.sop_class_uid, in.sop_class_uid);
	ck_assert_str_eq(out.path, in.path);
	ck_assert_str_eq(out.sender_aet, "STORESCU");
	ck_assert_str_eq(out.receiver_aet, "MERCURE");
	ck_assert_uint_eq(out.size, 9826);
	ck_assert_int_eq(out.recv_time_us, 1700000000123456);
	ck_assert_uint_eq(mc_tagset_count(out.tags), 2);
	ck_assert_str_eq(mc_tagset_get(out.tags, "PatientName"),
	    "M\xc3\xbcller^J\xc3\xb6rg");
	free(buf);
	mc_instance_fini(&in);
	mc_instance_fini(&out);
}
END_TEST

START_TEST(truncated_messages_are_refused_at_every_length)
{
	mc_instance in, out;
	void       *buf;
	size_t      len;
	char        err[128];

	make_instance(&in);
	ck_assert_int_eq(msg_encode_instance(&in, &buf, &len), MC_OK);
	for (size_t n = 0; n < len; n++) {
		mc_instance_init(&out);
		ck_assert_int_ne(
		    msg_decode_instance(buf, n, &out, err, sizeof(err)),
		    MC_OK);
		ck_assert_ptr_null(out.tags);
	}
	free(buf);
	mc_instance_fini(&in);
}
END_TEST

START_TEST(garbage_and_other_versions_are_refused_with_a_reason)
{
	/* {"v": 2, "type": "instance"} */
	static const unsigned char v2[] = {0x82, 0xa1, 'v', 0x02, 0xa4, 't',
	    'y', 'p', 'e', 0xa8, 'i', 'n', 's', 't', 'a', 'n', 'c', 'e'};
	static const unsigned char notmap[] = {0x93, 1, 2, 3};
	mc_instance                out;
	char                       err[128];

	mc_instance_init(&out);
	ck_assert_int_eq(
	    msg_decode_instance(v2, sizeof(v2), &out, err, sizeof(err)),
	    MC_EPROTO);
	ck_assert_str_eq(err, "unsupported protocol version");
	ck_assert_int_eq(msg_decode_instance(
	                     notmap, sizeof(notmap), &out, err, sizeof(err)),
	    MC_EPROTO);
	ck_assert_str_eq(err, "message is not a map");
	ck_assert_int_eq(
	    msg_decode_instance("\xc1", 1, &out, err, sizeof(err)), MC_EPROTO);
}
END_TEST

START_TEST(hostile_uid_in_a_message_is_refused)
{
	mc_instance in, out;
	void       *buf;
	size_t      len;
	char        err[128];

	make_instance(&in);
	mc_copy_text(in.series_uid, sizeof(in.series_uid), "../../x");
	ck_assert_int_eq(msg_encode_instance(&in, &buf, &len), MC_OK);
	mc_instance_init(&out);
	ck_assert_int_eq(
	    msg_decode_instance(buf, len, &out, err, sizeof(err)), MC_EPROTO);
	ck_assert_str_eq(err, "field 'series' is invalid");
	free(buf);
	mc_instance_fini(&in);
}
END_TEST

START_TEST(reject_message_round_trips_and_is_not_an_instance)
{
	mc_reject_msg r = {MSG_REJECT_SOP_MISMATCH, 1700000000123456}, out;
	mc_instance   in;
	void         *buf;
	size_t        len;
	char          err[128], type[MSG_TYPE_MAX_LEN + 1];

	ck_assert_int_eq(msg_encode_reject(&r, &buf, &len), MC_OK);
	ck_assert_int_eq(
	    msg_peek_type(buf, len, type, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(type, "rejected");
	ck_assert_int_eq(
	    msg_decode_reject(buf, len, &out, err, sizeof(err)), MC_OK);
	ck_assert_str_eq(out.reason, "sop_mismatch");
	ck_assert_int_eq(out.time_us, 1700000000123456);
	/* a coordinator that knows only instances refuses it with a reason */
	mc_instance_init(&in);
	ck_assert_int_eq(
	    msg_decode_instance(buf, len, &in, err, sizeof(err)), MC_EPROTO);
	mc_instance_fini(&in);
	for (size_t cut = 0; cut < len; cut++)
		ck_assert_int_ne(
		    msg_decode_reject(buf, cut, &out, err, sizeof(err)),
		    MC_OK);
	free(buf);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("msg_codec");
	const TTest *instance[] = {instance_message_round_trips_every_field,
	    truncated_messages_are_refused_at_every_length,
	    garbage_and_other_versions_are_refused_with_a_reason,
	    hostile_uid_in_a_message_is_refused, NULL};

	const TTest *reject[] = {
	    reject_message_round_trips_and_is_not_an_instance, NULL};

	mc_check_tcase(s, "instance", instance);
	mc_check_tcase(s, "reject", reject);
	return mc_check_run(s);
}
