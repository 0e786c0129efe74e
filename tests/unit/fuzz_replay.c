/* fuzz_replay.c: run stored fuzzing inputs through the libFuzzer entry point of
 * tests/fuzz/registry_fuzz.c without libFuzzer, so that the corpus and every
 * past crasher are replayed by the ordinary (rel and asan) builds in
 * `make test` (tests/15-fuzz-corpus.t). Usage: fuzz_replay FILE...
 * Exits 0 once every file has run; a crash or a broken invariant aborts. */
#include "../fuzz/registry_fuzz.c"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fuzz_replay FILE...\n");
		return EX_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		char *data;
		size_t len;
		/* larger than any registry, so that REG_MAX_FILE is reached too */
		int e = read_file(argv[i], 2 * REG_MAX_FILE, &data, &len);
		if (e < 0) {
			fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(-e));
			return EX_FAIL;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		free(data);
	}
	return EX_OK;
}
