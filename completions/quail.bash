# bash completion for quail(1)                            -*- shell-script -*-
#
# Completes commands, each command's options, account names (the
# "[account NAME]" lines of the account file), Maildir folders under the
# account's maildir root (--folder, and =FOLDER for -f) and file names.

_quail_commands="ui send queue verify fetch sync list index search addr parse scan extract serverinfo setup help"

_quail_common="--account --config --user --password-command --ca-file --timeout
--smtp --imap --pop3 -v --verbose --help"

_quail_options() { # COMMAND: the options it takes
	case $1 in
	send) echo "$_quail_common -s --subject -c --cc -b --bcc -a --attach --html
		--inline --from --reply-to -H --header -t --dry-run --dsn --dsn-ret
		--dsn-envid --envelope-from --queue" ;;
	fetch) echo "$_quail_common -o --output --folder --all-folders --delete -q --quiet" ;;
	sync) echo "$_quail_common -o --output --folder --all-folders --delete-folders -n --dry-run -q --quiet" ;;
	serverinfo) echo "$_quail_common --protocol --login" ;;
	setup) echo "$_quail_common -y --yes --non-interactive --oauth2 --oauth2-client-id --oauth2-client-secret" ;;
	list | queue | verify) echo "$_quail_common" ;;
	parse) echo "--json --check --help" ;;
	scan) echo "--help" ;;
	extract) echo "-o --output --help" ;;
	index) echo "--rebuild --progress-fd --config --help" ;;
	search) echo "--json --limit --sort -f --account --config --help" ;;
	addr) echo "--json --limit --account --config --help" ;;
	ui) echo "-f --account --config -e --help" ;;
	esac
}

# The account file: --config on the line, else QUAIL_CONFIG, else the XDG one.
_quail_config_file() {
	local i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		if [[ ${COMP_WORDS[i]} == --config ]]; then
			# Only ~ is expanded: completing must never run what the
			# line holds.
			local f=${COMP_WORDS[i + 1]}
			echo "${f/#\~/$HOME}"
			return
		fi
	done
	echo "${QUAIL_CONFIG:-${XDG_CONFIG_HOME:-$HOME/.config}/quail/config}"
}

_quail_accounts() {
	local f
	f=$(_quail_config_file)
	[[ -r $f ]] || return
	sed -nE 's/^[[:space:]]*\[[[:space:]]*[Aa][Cc][Cc][Oo][Uu][Nn][Tt][[:space:]]+(.*[^[:space:]])[[:space:]]*\][[:space:]]*$/\1/p' "$f"
}

# The Maildir root of the account named by --account, else the default one
# (default_account, else the only account): its maildir key, else the
# general maildir (default ~/Mail) followed by /NAME.
_quail_maildir_root() {
	local f i want=""
	f=$(_quail_config_file)
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[[ ${COMP_WORDS[i]} == --account ]] && want=${COMP_WORDS[i + 1]}
	done
	[[ -r $f ]] || return
	awk -v want="$want" -v home="$HOME" '
		function val(s) { sub(/^[^=]*=[ \t]*/, "", s); sub(/[ \t]+;.*$/, "", s);
			sub(/[ \t]+$/, "", s); sub(/^~/, home, s); return s }
		/^[ \t]*[;#]/ { next }
		/^[ \t]*\[/ {
			s = $0; sub(/^[ \t]*\[[ \t]*/, "", s); sub(/[ \t]*\][ \t]*$/, "", s)
			if (tolower(s) == "general") { sec = "" ; gen = 1; next }
			gen = 0; sec = s; sub(/^[Aa][Cc][Cc][Oo][Uu][Nn][Tt][ \t]+/, "", sec)
			names[++n] = sec; next
		}
		/=/ {
			k = $0; sub(/[ \t]*=.*/, "", k); sub(/^[ \t]*/, "", k); k = tolower(k)
			if (gen && k == "maildir") root = val($0)
			if (gen && k == "default_account") def = val($0)
			if (!gen && sec != "" && k == "maildir") own[sec] = val($0)
		}
		END {
			if (root == "") root = home "/Mail"
			a = want != "" ? want : def != "" ? def : n == 1 ? names[1] : ""
			if (a == "") exit
			print (a in own) ? own[a] : root "/" a
		}' "$f"
}

# Maildir folders under the root: directories holding cur/, as IMAP names.
_quail_folders() {
	local root
	root=$(_quail_maildir_root)
	[[ -n $root && -d $root ]] || return
	(cd "$root" 2>/dev/null && find . -mindepth 2 -maxdepth 6 -type d -name cur \
		-not -path './.quail/*' -not -path './.outbox/*' 2>/dev/null |
		sed -e 's|^\./||' -e 's|/cur$||' | LC_ALL=C sort)
}

_quail_reply_lines() { # WORDS-ON-LINES CUR: COMPREPLY from a list, one a line
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_quail() {
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=""
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# The command: the first word after "quail" that is not an option
	# (or an option's argument).
	cmd=""
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-f | --account | --config | -e) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	case $prev in
	--account)
		_quail_reply_lines "$(_quail_accounts)" "$cur"
		return ;;
	--folder)
		_quail_reply_lines "$(_quail_folders)" "$cur"
		return ;;
	-f)
		# =FOLDER of the account's root, or a Maildir or mbox path.
		_quail_reply_lines "$(_quail_folders | sed 's/^/=/')" "$cur"
		if [[ $cur != =* ]]; then
			local IFS=$'\n'
			COMPREPLY+=($(compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
		fi
		return ;;
	--config | --ca-file | -a | --attach | --html | --inline | -C)
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return ;;
	-o | --output)
		local IFS=$'\n'
		COMPREPLY=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return ;;
	--protocol)
		COMPREPLY=($(compgen -W "smtp imap pop3" -- "$cur"))
		return ;;
	--sort)
		COMPREPLY=($(compgen -W "newest oldest relevance" -- "$cur"))
		return ;;
	--dsn-ret)
		COMPREPLY=($(compgen -W "hdrs full" -- "$cur"))
		return ;;
	--dsn)
		COMPREPLY=($(compgen -W "never success failure delay success,failure success,failure,delay" -- "$cur"))
		return ;;
	--smtp)
		COMPREPLY=($(compgen -W "smtps:// smtp:// smtp+insecure://" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return ;;
	--imap)
		COMPREPLY=($(compgen -W "imaps:// imap:// imap+insecure://" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return ;;
	--pop3)
		COMPREPLY=($(compgen -W "pop3s:// pop3:// pop3+insecure://" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return ;;
	--user | --password-command | --timeout | -s | --subject | -c | --cc | -b | \
		--bcc | -H | --header | --from | --reply-to | --envelope-from | \
		--dsn-envid | --limit | --progress-fd | -e)
		return ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help --version -f --account --config -e" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_quail_commands" -- "$cur"))
		fi
		return
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_quail_options "$cmd")" -- "$cur"))
		return
	fi
	case $cmd in
	help)
		COMPREPLY=($(compgen -W "$_quail_commands" -- "$cur")) ;;
	queue)
		local have=""
		for ((i = i + 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in list | flush | drop) have=${COMP_WORDS[i]} ;; esac
		done
		[[ -z $have ]] && COMPREPLY=($(compgen -W "list flush drop" -- "$cur")) ;;
	parse | scan | extract | index)
		local IFS=$'\n'
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null ;;
	esac
}
complete -F _quail quail
