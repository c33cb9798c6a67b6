/* msg_codec.c - msgpack encoding and decoding of our messages. Decoding
 * checks every type: the sender may be a different build, or not ours. */
#include "msg/msg_codec.h"

#include <msgpack.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void
pack_kv(msgpack_packer *pk, const char *k, const char *v)
{
	pack_str(pk, k);
	pack_str(pk, v);
}

/* pack_begin - a new message of n fields: the version, then its type. */
static void
pack_begin(msgpack_sbuffer *sb, msgpack_packer *pk, size_t n, const char *type)
{
	msgpack_sbuffer_init(sb);
	msgpack_packer_init(pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(pk, n);
	pack_str(pk, "v");
	msgpack_pack_uint32(pk, MSG_PROTOCOL_VERSION);
	pack_kv(pk, "type", type);
}

/* pack_end - the sbuffer's malloc'ed data becomes the caller's *buf;
 * MC_ENOMEM when packing ran out of memory */
static mc_err
pack_end(msgpack_sbuffer *sb, void **buf, size_t *len)
{
	*buf = sb->data;
	*len = sb->size;
	return sb->data ? MC_OK : MC_ENOMEM;
}

mc_err
msg_encode_instance(const mc_instance *in, void **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer  pk;
	size_t          ntags = in->tags ? mc_tagset_count(in->tags) : 0;

	*buf = NULL;
	*len = 0;
	pack_begin(&sb, &pk, 13, "instance");
	pack_kv(&pk, "study", in->study_uid);
	pack_kv(&pk, "series", in->series_uid);
	pack_kv(&pk, "sop", in->sop_uid);
	pack_kv(&pk, "sop_class", in->sop_class_uid);
	pack_kv(&pk, "path", in->path);
	pack_str(&pk, "size");
	msgpack_pack_uint64(&pk, in->size);
	pack_str(&pk, "time_us");
	msgpack_pack_int64(&pk, in->recv_time_us);
	pack_kv(&pk, "sender_address", in->sender_address);
	pack_kv(&pk, "sender_aet", in->sender_aet);
	pack_kv(&pk, "receiver_aet", in->receiver_aet);
	pack_str(&pk, "tags");
	msgpack_pack_map(&pk, ntags);
	for (size_t i = 0; i < ntags; i++) {
		const mc_tag *t = mc_tagset_at(in->tags, i);
		pack_kv(&pk, t->key, t->value);
	}
	return pack_end(&sb, buf, len);
}

/* copy a msgpack str into a NUL-terminated fixed field; false if it is
 * not a str or does not fit. */
static bool
get_str(const msgpack_object *o, char *dst, size_t cap)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap)
		return false;
	memcpy(dst, o->via.str.ptr, o->via.str.size);
	dst[o->via.str.size] = '\0';
	return true;
}

/* a msgpack integer of either sign into *dst; false (dst unchanged) for
 * any other type. The conversion of a u64 above INT64_MAX wraps, as a
 * time or an exit code never is that large. */
static bool
get_int64(const msgpack_object *o, int64_t *dst)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		*dst = (int64_t) o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		*dst = o->via.i64;
	else
		return false;
	return true;
}

static bool
key_is(const msgpack_object *k, const char *name)
{
	size_t n = strlen(name);
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
	       memcmp(k->via.str.ptr, name, n) == 0;
}

static mc_err
check_header(const msgpack_object *root, char type[MSG_TYPE_MAX_LEN + 1],
    char *err, size_t errlen)
{
	bool has_v = false;

	type[0] = '\0';
	if (root->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "message is not a map");
		return MC_EPROTO;
	}
	for (uint32_t i = 0; i < root->via.map.size; i++) {
		const msgpack_object_kv *kv = &root->via.map.ptr[i];
		if (key_is(&kv->key, "v")) {
			if (kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    kv->val.via.u64 != MSG_PROTOCOL_VERSION) {
				snprintf(err, errlen,
				    "unsupported protocol version");
				return MC_EPROTO;
			}
			has_v = true;
		} else if (key_is(&kv->key, "type") &&
		           !get_str(&kv->val, type, MSG_TYPE_MAX_LEN + 1)) {
			snprintf(err, errlen, "field 'type' is not a string");
			return MC_EPROTO;
		}
	}
	if (!has_v || type[0] == '\0') {
		snprintf(
		    err, errlen, "missing field '%s'", has_v ? "type" : "v");
		return MC_EPROTO;
	}
	return MC_OK;
}

/* head_len - the bytes of the msgpack header at p (type byte included)
 * and in *body what follows it as raw bytes (strings, bin, ext) or in
 * *items as nested objects (arrays, maps). 0: not msgpack. */
static size_t
head_len(const unsigned char *p, size_t n, uint64_t *body, uint64_t *items)
{
	static const unsigned char fixed[] = {/* 0xc0..0xdf: size of head,
	    0 invalid; 0xc4..0xc9, 0xd9..0xdf also carry a length */
	    1, 0, 1, 1, 2, 3, 5, 3, 4, 6, 5, 9, 2, 3, 5, 9, 2, 3, 5, 9, 3, 4,
	    6, 10, 18, 2, 3, 5, 3, 5, 3, 5};
	unsigned char b = p[0];
	size_t                     h;
	uint64_t                   len = 0;

	*body = *items = 0;
	if (b <= 0x7f || b >= 0xe0)
		return 1;
	if (b <= 0x8f) {
		*items = 2u * (b & 0x0f);
		return 1;
	}
	if (b <= 0x9f) {
		*items = b & 0x0f;
		return 1;
	}
	if (b <= 0xbf) {
		*body = b & 0x1f;
		return 1;
	}
	if ((h = fixed[b - 0xc0]) == 0 || h > n)
		return 0;
	switch (b) {
	case 0xc4:
	case 0xc7:
	case 0xd9:
		len = p[1];
		break;
	case 0xc5:
	case 0xc8:
	case 0xda:
	case 0xdc:
	case 0xde:
		len = (uint64_t) p[1] << 8 | p[2];
		break;
	case 0xc6:
	case 0xc9:
	case 0xdb:
	case 0xdd:
	case 0xdf:
		len = (uint64_t) p[1] << 24 | (uint64_t) p[2] << 16 |
		      (uint64_t) p[3] << 8 | p[4];
		break;
	default:
		return h; /* numbers and fixext: the head is all */
	}
	if (b == 0xdc || b == 0xdd)
		*items = len;
	else if (b == 0xde || b == 0xdf)
		*items = 2 * len;
	else
		*body = len;
	return h;
}

/* counts_fit - whether every length and count in the first msgpack
 * object of buf fits in the bytes there are: msgpack-c reserves room for
 * a container's declared count before reading it (an array "of 4 G
 * items" in 10 bytes would reserve 64 GB). Linear, no recursion: an item
 * takes at least one byte, so outstanding items beyond the bytes left is
 * a lie. */
static bool
counts_fit(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t               at = 0;
	uint64_t             pending = 1, body, items;

	while (pending > 0) {
		size_t h;
		if (at >= len ||
		    (h = head_len(p + at, len - at, &body, &items)) == 0)
			return false;
		at += h;
		pending--;
		if (body > len - at)
			return false;
		at += (size_t) body;
		if (items > len - at || pending + items > len - at)
			return false;
		pending += items;
	}
	return true;
}

/* unpack_one - the first msgpack object of buf into up, if it is one
 * whose lengths are not lies. */
static bool
unpack_one(msgpack_unpacked *up, const void *buf, size_t len)
{
	size_t off = 0;

	return counts_fit(buf, len) && msgpack_unpack_next(up, buf, len,
	                                   &off) == MSGPACK_UNPACK_SUCCESS;
}

/* unpack_head - unpack the one object of buf into up (which the caller
 * destroys, whatever the result) and check its header: a map with our
 * version and a type, which must be want unless want is NULL. */
static mc_err
unpack_head(msgpack_unpacked *up, const void *buf, size_t len,
    const char *want, char type[MSG_TYPE_MAX_LEN + 1], char *err,
    size_t errlen)
{
	mc_err rv;

	msgpack_unpacked_init(up);
	if (!unpack_one(up, buf, len)) {
		snprintf(err, errlen, "not a msgpack object");
		return MC_EPROTO;
	}
	if ((rv = check_header(&up->data, type, err, errlen)) != MC_OK)
		return rv;
	if (want != NULL && strcmp(type, want) != 0) {
		snprintf(err, errlen, "type '%s' is not '%s'", type, want);
		return MC_EPROTO;
	}
	return MC_OK;
}

mc_err
msg_peek_type(const void *buf, size_t len, char type[MSG_TYPE_MAX_LEN + 1],
    char *err, size_t errlen)
{
	msgpack_unpacked up;
	mc_err           rv;

	rv = unpack_head(&up, buf, len, NULL, type, err, errlen);
	msgpack_unpacked_destroy(&up);
	return rv;
}

static mc_err
decode_tags(const msgpack_object *o, mc_tagset *ts, char *err, size_t errlen)
{
	char k[256], v[4096];

	if (o->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "field 'tags' is not a map");
		return MC_EPROTO;
	}
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		if (!get_str(&kv->key, k, sizeof(k)) ||
		    !get_str(&kv->val, v, sizeof(v))) {
			snprintf(
			    err, errlen, "tag %u is not a short string", i);
			return MC_EPROTO;
		}
		if (mc_tagset_set(ts, k, v) != MC_OK)
			return MC_ENOMEM;
	}
	return MC_OK;
}

/* one table row per fixed text field of the instance message */
typedef struct {
	const char *key;
	size_t      off;
	size_t      cap;
	bool        is_uid;
} text_field;

#define TF(k, f, uid)                                                         \
	{                                                                     \
		k, offsetof(mc_instance, f), sizeof(((mc_instance *) 0)->f),  \
		    uid                                                       \
	}
static const text_field text_fields[] = {
    TF("study", study_uid, true),
    TF("series", series_uid, true),
    TF("sop", sop_uid, true),
    TF("sop_class", sop_class_uid, false),
    TF("path", path, false),
    TF("sender_address", sender_address, false),
    TF("sender_aet", sender_aet, false),
    TF("receiver_aet", receiver_aet, false),
};
#define N_TEXT_FIELDS (sizeof(text_fields) / sizeof(text_fields[0]))

static mc_err
decode_field(const msgpack_object_kv *kv, mc_instance *out, unsigned *seen,
    char *err, size_t errlen)
{
	if (out->tags == NULL && key_is(&kv->key, "tags"))
		return MC_OK; /* a head-only decode */
	for (size_t f = 0; f < N_TEXT_FIELDS; f++) {
		const text_field *tf = &text_fields[f];
		char             *dst = (char *) out + tf->off;
		if (!key_is(&kv->key, tf->key))
			continue;
		if (!get_str(&kv->val, dst, tf->cap) ||
		    (tf->is_uid && !uid_is_valid(dst))) {
			snprintf(
			    err, errlen, "field '%s' is invalid", tf->key);
			return MC_EPROTO;
		}
		*seen |= 1u << f;
		return MC_OK;
	}
	if (key_is(&kv->key, "size")) {
		if (kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			goto bad;
		out->size = kv->val.via.u64;
	} else if (key_is(&kv->key, "time_us")) {
		if (!get_int64(&kv->val, &out->recv_time_us))
			goto bad;
	} else if (key_is(&kv->key, "tags")) {
		return decode_tags(&kv->val, out->tags, err, errlen);
	}
	return MC_OK; /* unknown fields are ignored: newer senders may add */
bad:
	snprintf(err, errlen, "field has the wrong type");
	return MC_EPROTO;
}

static mc_err
decode_instance(const void *buf, size_t len, mc_instance *out, bool tags,
    char *err, size_t errlen)
{
	msgpack_unpacked up;
	char             type[MSG_TYPE_MAX_LEN + 1];
	unsigned         seen = 0;
	mc_err           rv;

	if ((rv = unpack_head(&up, buf, len, "instance", type, err, errlen)) !=
	    MC_OK)
		goto done;
	if (tags && (rv = mc_tagset_create(&out->tags)) != MC_OK)
		goto done;
	for (uint32_t i = 0; i < up.data.via.map.size && rv == MC_OK; i++)
		rv = decode_field(
		    &up.data.via.map.ptr[i], out, &seen, err, errlen);
	if (rv == MC_OK && (seen & 0x7) != 0x7) {
		snprintf(err, errlen, "missing study, series or sop UID");
		rv = MC_EPROTO;
	}
done:
	msgpack_unpacked_destroy(&up);
	if (rv != MC_OK)
		mc_instance_fini(out);
	return rv;
}

mc_err
msg_decode_instance(
    const void *buf, size_t len, mc_instance *out, char *err, size_t errlen)
{
	return decode_instance(buf, len, out, true, err, errlen);
}

mc_err
msg_decode_instance_head(
    const void *buf, size_t len, mc_instance *out, char *err, size_t errlen)
{
	return decode_instance(buf, len, out, false, err, errlen);
}

mc_err
msg_encode_result(const mc_result_msg *r, void **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer  pk;

	pack_begin(&sb, &pk, 5, "result");
	pack_kv(&pk, "task", r->task_id);
	pack_str(&pk, "ok");
	if (r->ok)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	pack_str(&pk, "exit");
	msgpack_pack_int32(&pk, r->exit_code);
	return pack_end(&sb, buf, len);
}

mc_err
msg_decode_result(
    const void *buf, size_t len, mc_result_msg *out, char *err, size_t errlen)
{
	msgpack_unpacked up;
	char             type[MSG_TYPE_MAX_LEN + 1];
	mc_err           rv;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	rv = unpack_head(&up, buf, len, "result", type, err, errlen);
	for (uint32_t i = 0; rv == MC_OK && i < up.data.via.map.size; i++) {
		const msgpack_object_kv *kv = &up.data.via.map.ptr[i];
		if (key_is(&kv->key, "task")) {
			if (!get_str(
			        &kv->val, out->task_id, sizeof(out->task_id)))
				rv = MC_EPROTO;
		} else if (key_is(&kv->key, "ok")) {
			if (kv->val.type != MSGPACK_OBJECT_BOOLEAN)
				rv = MC_EPROTO;
			else
				out->ok = kv->val.via.boolean;
		} else if (key_is(&kv->key, "exit")) {
			int64_t code;
			if (get_int64(&kv->val, &code))
				out->exit_code = (int) code;
		}
	}
	if (rv == MC_OK && out->task_id[0] == '\0')
		rv = MC_EPROTO;
	if (rv != MC_OK && err[0] == '\0')
		snprintf(err, errlen, "malformed result message");
	msgpack_unpacked_destroy(&up);
	return rv;
}

void
mc_assoc_msg_fini(mc_assoc_msg *m)
{
	free(m->series);
	memset(m, 0, sizeof(*m));
}

mc_err
msg_encode_association(const mc_assoc_msg *m, void **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer  pk;

	pack_begin(&sb, &pk, 8, "association");
	pack_kv(&pk, "outcome", m->released ? "released" : "aborted");
	pack_str(&pk, "time_us");
	msgpack_pack_int64(&pk, m->time_us);
	pack_kv(&pk, "sender_address", m->sender_address);
	pack_kv(&pk, "sender_aet", m->sender_aet);
	pack_kv(&pk, "receiver_aet", m->receiver_aet);
	pack_str(&pk, "series");
	msgpack_pack_array(&pk, m->n_series);
	for (size_t i = 0; i < m->n_series; i++)
		pack_str(&pk, m->series[i]);
	return pack_end(&sb, buf, len);
}

static bool
decode_series_list(const msgpack_object *o, mc_assoc_msg *out)
{
	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > MSG_ASSOC_SERIES_MAX)
		return false;
	free(out->series);
	out->n_series = 0;
	out->series = calloc(o->via.array.size + 1, sizeof(*out->series));
	if (out->series == NULL)
		return false;
	for (uint32_t i = 0; i < o->via.array.size; i++) {
		char *dst = out->series[out->n_series];
		if (!get_str(&o->via.array.ptr[i], dst, MC_UID_MAX_LEN + 1) ||
		    !uid_is_valid(dst))
			return false;
		out->n_series++;
	}
	return true;
}

static bool
decode_assoc_field(
    const msgpack_object_kv *kv, mc_assoc_msg *out, bool *has_outcome)
{
	const msgpack_object *v = &kv->val;
	char                  outcome[16];

	if (key_is(&kv->key, "outcome")) {
		if (!get_str(v, outcome, sizeof(outcome)))
			return false;
		out->released = strcmp(outcome, "released") == 0;
		*has_outcome = true;
		return out->released || strcmp(outcome, "aborted") == 0;
	}
	if (key_is(&kv->key, "series"))
		return decode_series_list(v, out);
	if (key_is(&kv->key, "time_us"))
		return get_int64(v, &out->time_us);
	if (key_is(&kv->key, "sender_address"))
		return get_str(
		    v, out->sender_address, sizeof(out->sender_address));
	if (key_is(&kv->key, "sender_aet"))
		return get_str(v, out->sender_aet, sizeof(out->sender_aet));
	if (key_is(&kv->key, "receiver_aet"))
		return get_str(
		    v, out->receiver_aet, sizeof(out->receiver_aet));
	return true; /* a newer sender's field */
}

mc_err
msg_decode_association(
    const void *buf, size_t len, mc_assoc_msg *out, char *err, size_t errlen)
{
	msgpack_unpacked up;
	char             type[MSG_TYPE_MAX_LEN + 1];
	bool             has_outcome = false;
	mc_err           rv;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	rv = unpack_head(&up, buf, len, "association", type, err, errlen);
	for (uint32_t i = 0; rv == MC_OK && i < up.data.via.map.size; i++)
		if (!decode_assoc_field(
		        &up.data.via.map.ptr[i], out, &has_outcome))
			rv = MC_EPROTO;
	if (rv == MC_OK && (!has_outcome || out->series == NULL))
		rv = MC_EPROTO;
	if (rv != MC_OK) {
		if (err[0] == '\0')
			snprintf(err, errlen, "malformed association message");
		mc_assoc_msg_fini(out);
	}
	msgpack_unpacked_destroy(&up);
	return rv;
}

mc_err
msg_encode_reject(const mc_reject_msg *r, void **buf, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer  pk;

	pack_begin(&sb, &pk, 4, "rejected");
	pack_kv(&pk, "reason", r->reason);
	pack_str(&pk, "time_us");
	msgpack_pack_int64(&pk, r->time_us);
	return pack_end(&sb, buf, len);
}

mc_err
msg_decode_reject(
    const void *buf, size_t len, mc_reject_msg *out, char *err, size_t errlen)
{
	msgpack_unpacked up;
	char             type[MSG_TYPE_MAX_LEN + 1];
	mc_err           rv;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	rv = unpack_head(&up, buf, len, "rejected", type, err, errlen);
	for (uint32_t i = 0; rv == MC_OK && i < up.data.via.map.size; i++) {
		const msgpack_object_kv *kv = &up.data.via.map.ptr[i];
		if (key_is(&kv->key, "reason")) {
			if (!get_str(
			        &kv->val, out->reason, sizeof(out->reason)))
				rv = MC_EPROTO;
		} else if (key_is(&kv->key, "time_us")) {
			(void) get_int64(&kv->val, &out->time_us);
		}
	}
	if (rv == MC_OK && out->reason[0] == '\0')
		rv = MC_EPROTO;
	if (rv != MC_OK && err[0] == '\0')
		snprintf(err, errlen, "malformed rejected message");
	msgpack_unpacked_destroy(&up);
	return rv;
}
