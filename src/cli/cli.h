/*
 * cli: the `quail` command. Parses argv, calls app/, prints results and
 * the one error line `quail: what: why`, and maps error classes to exit
 * codes (SPEC §3). The only layer besides ui/ that writes to the terminal.
 */
#ifndef QUAIL_CLI_CLI_H
#define QUAIL_CLI_CLI_H

/* Runs the command line; returns the process exit code. */
int cli_main(int argc, char **argv);

#endif
