/* serverenv.h: the environment a server runs with (SPEC §4), built from
 * scratch rather than inherited from whatever shell started the supervisor. */
#ifndef IS_SERVERENV_H
#define IS_SERVERENV_H

#include "creds.h"
#include "registry.h"

#define SERVER_PATH_DEFAULT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* PATH (ours, else SERVER_PATH_DEFAULT), LANG, LC_* and TZ when we have them,
 * HOME, USER and LOGNAME of the user it runs as (cr; ours when it names
 * none), the variables <passEnvironment> names that we have, then
 * <environment>; last, so that nothing overrides them, the markers by which
 * a supervisor recognises the server's descendants, even after a hard kill
 * (IMAGESERVING_SERVER=id, IMAGESERVING_SUPERVISOR=rundir), and extra:
 * NAME, VALUE pairs, NULL-terminated (may be NULL). A later name replaces an
 * earlier one. The result and its strings are xmalloc'd: serverenv_free. */
char **server_env(const struct server *s, const struct creds *cr, const char *rundir, const char *const *extra);
void serverenv_free(char **env);

#endif
