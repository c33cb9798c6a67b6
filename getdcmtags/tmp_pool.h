/* tmp_pool.h - pre-written temp files for received instances.
 *
 * Why: an instance may only be acknowledged once its bytes are on disk.
 * Flushing a new file costs a file-system journal commit (its inode, its
 * blocks, its name): on this project's ext4 disks about as long as bare
 * storescp's whole work on a small image. A file whose blocks were
 * written and flushed earlier, and whose size does not change, is made
 * durable by a data-only flush (fdatasync) with no journal commit, about
 * half the cost. So a background thread keeps a few such files ready in
 * the temp folder, sized for the images that are arriving, and the
 * receive path overwrites one of them.
 *
 * The file is longer than the image it holds, so before the flush a
 * trailer is written at its very end: a magic, the data length and the
 * data's CRC. The durable point is that flush (tmp_pool_seal); cutting the
 * file to its data (tmp_pool_trim) and moving it into place are not
 * flushed. The file-system journal commits the cut before the move, so
 * after a crash a pool file is found either in place with its exact size,
 * or in the temp folder cut, or in the temp folder uncut with its trailer;
 * tmp_pool_recover restores the last kind from the trailer. A pool file
 * without a valid trailer was never acknowledged (unused, or a transfer
 * cut short) and is removed.
 *
 * Spares never take the space received images need: the thread makes
 * none while the file system's free space is below a floor (by default
 * TMP_POOL_MIN_FREE_PCT of the file system, at least
 * TMP_POOL_MIN_FREE_BYTES), and when writing an image runs out of space
 * the receive path gives every spare back (tmp_pool_give_back) and tries
 * once more; refills then wait TMP_POOL_HOLD_MS.
 *
 * Images larger than TMP_POOL_MAX_BYTES, the first image of an
 * association (no size to go by) and images that outgrow their file use
 * an ordinary temp file and a full fsync. */
#ifndef MC_GETDCMTAGS_TMP_POOL_H
#define MC_GETDCMTAGS_TMP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mc_err.h"

#define TMP_POOL_PREFIX ".pool-"
#define TMP_POOL_TRAILER_LEN 32
#define TMP_POOL_MAX_BYTES (256u * 1024u)     /* largest pre-written file */
#define TMP_POOL_MIN_FREE_PCT 5u              /* default floor ... */
#define TMP_POOL_MIN_FREE_BYTES (64ull << 20) /* ... and its minimum */
#define TMP_POOL_HOLD_MS 10000 /* no refill this long after a give-back */

typedef struct tmp_pool tmp_pool;

/* tmp_pool_create - start the refill thread for files in dir (the
 * receiver's temp folder, on the storage file system). Leftover pool
 * files must have gone through tmp_pool_recover first. share_flushes:
 * seals share device flushes where the file system allows. */
MC_NODISCARD mc_err tmp_pool_create(const char *dir, bool share_flushes,
    tmp_pool **out, char *err, size_t errlen);

/* tmp_pool_destroy - stop the thread, remove the unused files. NULL: no-op.
 * No tmp_pool_open may be running. */
void tmp_pool_destroy(tmp_pool *p);

/* tmp_pool_set_floor - no new spare while the free space of the file
 * system would fall below the larger of bytes and percent of its size
 * (both 0: spares whenever the disk has room). Any thread. */
void tmp_pool_set_floor(tmp_pool *p, uint64_t bytes, unsigned percent);

/* tmp_pool_parse_floor - "5%" (of the file system) or a size in bytes
 * with an optional K, M or G suffix ("512M"). MC_EINVAL if neither. */
MC_NODISCARD mc_err tmp_pool_parse_floor(
    const char *s, uint64_t *bytes, unsigned *percent);

/* tmp_pool_give_back - remove every ready spare and any a refill is
 * making (an image needs the space), and make no new one for
 * TMP_POOL_HOLD_MS. Returns whether there was anything to give (false:
 * no hold either); p may be NULL (false). Any thread. */
bool tmp_pool_give_back(tmp_pool *p);

/* tmp_pool_open - a pre-written file for an instance of about size_hint
 * bytes: returns an fd open for writing at offset 0 and fills path and
 * *prealloc (the file's length). Returns -1 when none is ready (the first
 * request for a size, or the refill is behind): the caller then makes an
 * ordinary file. The file is the caller's from now on. Any thread. */
int tmp_pool_open(tmp_pool *p, uint64_t size_hint, char *path, size_t pathlen,
    uint64_t *prealloc);

/* tmp_pool_stats - opens served by a ready file, opens for a pool size
 * that found none (the caller then made an ordinary file), and device
 * flushes shared by seals (0 where seals flush alone). */
void tmp_pool_stats(
    tmp_pool *p, uint64_t *taken, uint64_t *missed, uint64_t *flushes);

/* tmp_pool_fits - whether bytes of data leave room for the trailer in a
 * file of prealloc bytes (else: tmp_pool_trim, then a full fsync). */
bool tmp_pool_fits(uint64_t bytes, uint64_t prealloc);

/* tmp_pool_seal - the first bytes of path (prealloc long) are the data:
 * write the trailer and flush the data, sharing the device flush with
 * other associations' seals where the file system allows (flush_group.h;
 * p may be NULL: a flush of its own). From here the data survives a
 * crash. */
MC_NODISCARD mc_err tmp_pool_seal(
    tmp_pool *p, const char *path, uint64_t bytes, uint64_t prealloc);

/* tmp_pool_data_crc - zlib CRC-32 of the first n bytes of fd (read with
 * pread); 0, or -1 on a read error or a file shorter than n. */
int tmp_pool_data_crc(int fd, uint64_t n, uint32_t *out);

/* tmp_pool_trim - cut path to its data; not flushed. */
MC_NODISCARD mc_err tmp_pool_trim(const char *path, uint64_t bytes);

typedef enum {
	TMP_POOL_NOT_POOL, /* ordinary, cut or outgrown: recover as usual */
	TMP_POOL_UNUSED,   /* no acknowledged data: removed */
	TMP_POOL_RESTORED  /* cut to its data from the trailer, flushed */
} tmp_pool_state;

/* tmp_pool_recover - classify (and repair or remove) a file found in the
 * temp folder at start, before tmp_pool_create. NOT_POOL and RESTORED
 * files then go through the usual recovery (parse, move into place). */
tmp_pool_state tmp_pool_recover(const char *path);

#endif
