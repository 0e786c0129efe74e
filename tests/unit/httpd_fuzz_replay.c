/* httpd_fuzz_replay.c: run stored inputs through the entry point of tests/fuzz/httpd_fuzz.c without
 * libFuzzer, so that its corpus is replayed by the ordinary (rel and asan) builds in `make test`
 * (tests/72-httpd-fuzz-corpus.t). Usage: httpd_fuzz_replay FILE...
 * Exits 0 once every file has run; a crash or a broken invariant aborts. */
#include "../fuzz/httpd_fuzz.c"

int main(int argc, char **argv)
{
	if (argc < 2)
		die_(EX_USAGE, "usage: httpd_fuzz_replay FILE...");
	for (int i = 1; i < argc; i++) {
		char *in;
		size_t len;
		int e = read_file(argv[i], 1 << 20, &in, &len);
		if (e < 0)
			die_(EX_FAIL, "%s: %s", argv[i], strerror(-e));
		LLVMFuzzerTestOneInput((const uint8_t *)in, len);
		free(in);
	}
	return EX_OK;
}
