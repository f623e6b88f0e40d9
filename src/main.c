/* quail: a mail client for the terminal. */
#include <signal.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ui/ui.h"

int
main(int argc, char **argv)
{
	/* A server that closes while quail writes (SMTP DATA, a long APPEND)
	 * must end in an error and exit 75 (SPEC §3), never in a silent death
	 * by SIGPIPE; every write path also asks for no signal (MSG_NOSIGNAL,
	 * GNUTLS_NO_SIGNAL). Children put the default back before exec. */
	signal(SIGPIPE, SIG_IGN);
	/* `quail` alone on a terminal, `quail ui` and the UI's options open
	 * the mail reader (SPEC §8); everything else is a command. */
	if (ui_wanted(argc, argv, isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		return ui_main(argc, argv);
	return cli_main(argc, argv);
}
