/* SIGINT and SIGTERM as a cancel: the one handle every command's engine
 * call watches, so Ctrl-C ends a fetch cleanly (journal and Maildir
 * consistent, a summary of what was done, exit 75) instead of killing it
 * between a rename and its journal entry. */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "util/util.h"
#include "cli/private.h"

/* The process's one cancel handle; globals are allowed in cli (STYLE). */
static struct qu_cancel *cancel_handle;

static void
on_signal(int sig)
{
	(void)sig;
	/* qu_cancel_fire is async-signal-safe: a flag and one write(). */
	qu_cancel_fire(cancel_handle);
}

void
cli_signals_init(void)
{
	if (cancel_handle)
		return;
	cancel_handle = qu_cancel_new();
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking call returns EINTR and looks at the
	 * handle. SA_RESETHAND puts SIG_DFL back after the first signal, so a
	 * second Ctrl-C ends the process at once. */
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const struct qu_cancel *
cli_cancel(void)
{
	return cancel_handle;
}
