/* rule_bench.c - evaluations per second of one rule over a realistic tag
 * set (about fifty tags, as getdcmtags writes), on one core. Usage:
 * rule_bench [rule [seconds]]. Prints two key=value lines: layout=same
 * (every instance lists its tags in one order, as in a series, so the
 * remembered tag positions hit) and layout=mixed (two sets in different
 * orders, alternately, so every lookup scans). */
#include "rule/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_DEFAULT_RULE                                                    \
	"tags.Modality == 'MR' and 'CINE' in tags.SeriesDescription"
#define BENCH_DEFAULT_SECONDS 2.0
#define BENCH_BATCH 10000
#define BENCH_FILLER_TAGS 45

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static mc_err
make_tags(mc_tagset **out, int reversed)
{
	static const char *const kv[][2] = {
	    {"SeriesDescription", "SA CINE retro"},
	    {"SliceThickness", "8"},
	    {"SeriesNumber", "12"},
	    {"ReceiverAET", "MERCURE"},
	};
	char   key[32];
	mc_err rv = mc_tagset_create(out);

	/* Filler first, so that lookups scan as they would in real sets. */
	for (int i = 0; rv == MC_OK && i < BENCH_FILLER_TAGS; i++) {
		snprintf(key, sizeof(key), "FillerTag%02d",
		    reversed ? BENCH_FILLER_TAGS - i : i);
		rv = mc_tagset_set(*out, key, "some value");
	}
	if (rv == MC_OK)
		rv = mc_tagset_set(*out, "Modality", "MR");
	for (size_t i = 0; rv == MC_OK && i < sizeof(kv) / sizeof(*kv); i++) {
		size_t k = reversed ? sizeof(kv) / sizeof(*kv) - 1 - i : i;
		rv = mc_tagset_set(*out, kv[k][0], kv[k][1]);
	}
	if (rv == MC_OK && reversed) /* shift every position by one */
		rv = mc_tagset_set(*out, "AFirstTag", "x");
	return rv;
}

static void
run(const rule *r, mc_tagset *const set[2], double secs, const char *layout,
    const char *text)
{
	size_t n = 0, hits = 0;
	double t0 = now_s(), t;

	do {
		for (int i = 0; i < BENCH_BATCH; i++)
			hits += rule_eval(r, set[i & 1], NULL);
		n += BENCH_BATCH;
		t = now_s() - t0;
	} while (t < secs);
	printf("event=rule_bench layout=%s evals=%zu seconds=%.3f "
	       "evals_per_s=%.0f ns_per_eval=%.1f true=%zu rule=\"%s\"\n",
	    layout, n, t, (double) n / t, t * 1e9 / (double) n, hits, text);
}

int
main(int argc, char **argv)
{
	const char *text = argc > 1 ? argv[1] : BENCH_DEFAULT_RULE;
	double      secs = argc > 2 ? strtod(argv[2], NULL) : 0;
	mc_tagset  *a = NULL, *b = NULL;
	rule       *r = NULL;
	mc_diag     d = {0};
	int         rc = EXIT_FAILURE;

	if (secs <= 0)
		secs = BENCH_DEFAULT_SECONDS;
	if (make_tags(&a, 0) != MC_OK || make_tags(&b, 1) != MC_OK) {
		fprintf(stderr, "rule_bench: out of memory\n");
		goto done;
	}
	if (rule_compile(text, strlen(text), &r, &d) != MC_OK) {
		fprintf(
		    stderr, "rule_bench: column %zu: %s\n", d.column, d.msg);
		goto done;
	}
	run(r, (mc_tagset *const[2]){a, a}, secs, "same", text);
	run(r, (mc_tagset *const[2]){a, b}, secs, "mixed", text);
	rc = EXIT_SUCCESS;
done:
	rule_free(r);
	mc_tagset_destroy(a);
	mc_tagset_destroy(b);
	return rc;
}
