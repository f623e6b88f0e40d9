/*
 * ui: the curses screens of SPEC §8 (`quail`, `quail ui`).
 *
 * One thread owns the terminal and sleeps in poll() on the tty, a wake
 * pipe its workers write to and a self-pipe for signals; workers run the
 * slow app calls (reading a folder, opening a message) with a cancel
 * handle each. Calls app only.
 */
#ifndef QUAIL_UI_UI_H
#define QUAIL_UI_UI_H

#include <stdbool.h>

/* True when argv asks for the UI: "ui", or options of the UI alone
 * (-f, --account, -e), or nothing at all on a terminal. */
bool ui_wanted(int argc, char **argv, bool tty);

/* `quail [ui] [-f MAILBOX] [--account NAME] [-e COMMAND]...`. Returns the
 * exit code: 0 after q or x, 64/66/78 before the screen opens. */
int ui_main(int argc, char **argv);

#endif
