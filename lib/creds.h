/* creds.h: user and group names or numbers resolved to ids, home and name. */
#ifndef IS_CREDS_H
#define IS_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct creds {
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
	char name[64];   /* the user's name ("" if unknown) */
	char home[256];  /* the user's home ("/" if unknown) */
};

/* user/group: NULL (unchanged), a name or a number. A numeric user without
 * a passwd entry gets its own number as group, its number as name and "/" as
 * home (not root's). 0, or -1 with why set. */
int creds_resolve(const char *user, const char *group, struct creds *c, char *why, size_t n);

#endif
