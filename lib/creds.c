/* creds.c: resolve a server's user and group through the passwd and group
 * databases, once, before any fork. */
#include "creds.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int creds_resolve(const char *user, const char *group, struct creds *c, char *why, size_t n)
{
	memset(c, 0, sizeof *c);
	if (user) {
		struct passwd *pw = all_digits(user) ? getpwuid((uid_t)strtoul(user, NULL, 10)) : getpwnam(user);
		if (pw) {
			c->uid = pw->pw_uid;
			c->gid = pw->pw_gid;
			snprintf(c->name, sizeof c->name, "%s", pw->pw_name);
			snprintf(c->home, sizeof c->home, "%s", pw->pw_dir);
		} else if (all_digits(user)) {
			c->uid = (uid_t)strtoul(user, NULL, 10);
			c->gid = (gid_t)c->uid;
			snprintf(c->name, sizeof c->name, "%s", user);
			snprintf(c->home, sizeof c->home, "/");
		} else {
			snprintf(why, n, "unknown user %s", user);
			return -1;
		}
		c->set_uid = c->set_gid = true;
	}
	if (group) {
		if (all_digits(group)) {
			c->gid = (gid_t)strtoul(group, NULL, 10);
		} else {
			struct group *gr = getgrnam(group);
			if (!gr) {
				snprintf(why, n, "unknown group %s", group);
				return -1;
			}
			c->gid = gr->gr_gid;
		}
		c->set_gid = true;
	}
	return 0;
}
