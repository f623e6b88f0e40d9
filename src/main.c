/* quail: a mail client for the terminal. */
#include <signal.h>

#include "cli/cli.h"

int
main(int argc, char **argv)
{
	/* A server that closes while quail writes (SMTP DATA, a long APPEND)
	 * must end in an error and exit 75 (SPEC §3), never in a silent death
	 * by SIGPIPE; every write path also asks for no signal (MSG_NOSIGNAL,
	 * GNUTLS_NO_SIGNAL). Children put the default back before exec. */
	signal(SIGPIPE, SIG_IGN);
	return cli_main(argc, argv);
}
