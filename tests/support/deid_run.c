/* deid_run.c - mc-deid-run, a test tool: run the built-in module
 * deidentify (worker/process/builtin/deidentify.h) on a folder, as the
 * worker does, without a task:
 *   mc-deid-run SETTINGS_JSON_FILE IN_DIR OUT_DIR [DEFAULT_MAPPING [TASK]]
 * Exit 0: done; 1: failed (the error on stderr, "retryable" or "final"
 * first); 2: usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "os/sys_fs.h"
#include "process/builtin/deidentify.h"

int
main(int argc, char **argv)
{
	deidentify_opts    o = {0};
	deidentify_outcome out;
	char              *settings = NULL;
	size_t             len = 0;
	mc_err             rv;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: mc-deid-run SETTINGS IN OUT "
		                "[DEFAULT_MAPPING [TASK]]\n");
		return 2;
	}
	if (sys_read_file(argv[1], &settings, &len) != MC_OK) {
		fprintf(stderr, "cannot read %s\n", argv[1]);
		return 2;
	}
	log_set_program("mc-deid-run");
	o.settings_json = settings;
	o.in_dir = argv[2];
	o.out_dir = argv[3];
	o.default_mapping = argc > 4 ? argv[4] : NULL;
	o.task_id = argc > 5 ? argv[5] : "test-task";
	rv = deidentify_run(&o, &out);
	free(settings);
	if (rv != MC_OK) {
		fprintf(stderr, "%s %s: %s\n",
		    out.retryable ? "retryable" : "final", mc_strerror(rv),
		    out.error);
		return 1;
	}
	printf("files=%zu skipped=%zu\n", out.files, out.skipped);
	return 0;
}
