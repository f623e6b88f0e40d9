#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

#include "config/config.h"

/* $HOME, else the password database, as the shell does for "~". */
static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
}

char *
cfg_expand_home(const char *path)
{
	if (!path)
		return NULL;
	if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
		return xstrdup(path);
	const char *home = home_dir();
	if (!home)
		return xstrdup(path);
	if (path[1] == '\0')
		return xstrdup(home);
	size_t hl = strlen(home);
	/* "~/x" with HOME=/ must not become "//x". */
	while (hl > 0 && home[hl - 1] == '/')
		hl--;
	return xasprintf("%.*s%s", (int)hl, home, path + 1);
}

char *
cfg_default_path(const char *cli_path)
{
	if (cli_path && *cli_path)
		return xstrdup(cli_path);
	const char *env = getenv("QUAIL_CONFIG");
	if (env && *env)
		return xstrdup(env);
	/* The XDG Base Directory spec says to ignore a relative value. */
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/quail/config", xdg);
	return cfg_expand_home("~/.config/quail/config");
}

char *
cfg_state_home(void)
{
	/* The XDG Base Directory spec says to ignore a relative value. */
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/quail", xdg);
	return cfg_expand_home("~/.local/state/quail");
}
