/* floorcat.c: the floor of a status command on this machine: a static
 * binary that reads one small file (the size of a state file) and writes it
 * out. Whatever `status` does beyond this, it does on top of an exec and a
 * file read that no status command can avoid. Built static with musl-gcc,
 * like the service (bench/svc.c). */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[8192];
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0 || write(1, buf, (size_t)n) != n)
		return 1;
	return 0;
}
