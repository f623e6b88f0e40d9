/* quail: a mail client for the terminal. */
#include <unistd.h>

#include "cli/cli.h"
#include "ui/ui.h"

int
main(int argc, char **argv)
{
	/* `quail` alone on a terminal, `quail ui` and the UI's options open
	 * the mail reader (SPEC §8); everything else is a command. */
	if (ui_wanted(argc, argv, isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		return ui_main(argc, argv);
	return cli_main(argc, argv);
}
