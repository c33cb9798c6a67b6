/* replay_main.c - runs a fuzz harness over every file of a corpus folder,
 * so the corpus (seeds and anything a fuzzer found) is replayed as a
 * plain test in every build, sanitizers included (as SQLite's fuzzcheck
 * replays its finds). Usage: fuzz_<parser>_replay DIR. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	DIR           *d;
	struct dirent *de;
	char           path[MC_PATH_MAX];
	size_t         n = 0;

	if (argc != 2 || (d = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	while ((de = readdir(d)) != NULL) {
		char  *buf;
		size_t len;
		if (de->d_name[0] == '.' ||
		    sys_path_fmt(path, sizeof(path), "%s/%s", argv[1],
		        de->d_name) != MC_OK ||
		    sys_read_file(path, &buf, &len) != MC_OK)
			continue;
		LLVMFuzzerTestOneInput((const uint8_t *) buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	printf("%zu passed, 0 failed\n", n);
	return n > 0 ? 0 : 1;
}
