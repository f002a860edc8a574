# rumpctrl.sh: a shell for talking to rump kernels, like rumpctrl's rumpctrl.sh.
# Source it (bash or zsh):   . scripts/rumpctrl.sh [bindir]
#   - puts our utilities (bindir, default .build/debug) first on PATH
#   - shows RUMP_SERVER in the prompt: rumpctrl (unix:///tmp/sock)$
#   - rumpctrl_listcmds       list our utilities
#   - rumpctrl_hascmd NAME    prints #t / #f (status 0 / 1)
#   - rumpctrl_hostcmd CMD... runs CMD with the host's PATH (not our utilities)
#   - cd DIR                  refused: the shell runs on the host, not in the kernel
#   - rumpctrl_exit           restores PATH, the prompt and cd
# The kernel is chosen by RUMP_SERVER, e.g. export RUMP_SERVER=unix:///tmp/rumpctrlsock

if [ -n "${BASH_SOURCE:-}" ]; then _rumpctrl_src=${BASH_SOURCE[0]}; else _rumpctrl_src=$0; fi
_rumpctrl_root=$(cd "$(dirname "$_rumpctrl_src")/.." && pwd)
RUMPCTRL_BIN=${1:-$_rumpctrl_root/.build/debug}
# The rumpctrl utilities (NetBSD names); host commands such as rump_server are not among them.
RUMPCTRL_UTILITIES="arp cat chmod dd df halt ifconfig ls mkdir mount mount_tmpfs mv netstat ping rm rmdir route sysctl touch umount"

if [ -z "${RUMPCTRL_HOSTPATH:-}" ]; then
    RUMPCTRL_HOSTPATH=$PATH
    RUMPCTRL_HOSTPS1=${PS1:-}
fi
PATH=$RUMPCTRL_BIN:$RUMPCTRL_HOSTPATH
export PATH
if [ -n "${ZSH_VERSION:-}" ]; then
    setopt PROMPT_SUBST 2>/dev/null
fi
PS1='rumpctrl (${RUMP_SERVER:-NULL})$ '

rumpctrl_listcmds() {
    _l=""
    for _c in $RUMPCTRL_UTILITIES; do
        [ -x "$RUMPCTRL_BIN/$_c" ] && _l="$_l$_c
"
    done
    printf '%s' "$_l" | column 2>/dev/null || printf '%s' "$_l"
}

rumpctrl_hascmd() {
    for _c in $RUMPCTRL_UTILITIES; do
        if [ "$_c" = "$1" ] && [ -x "$RUMPCTRL_BIN/$_c" ]; then echo '#t'; return 0; fi
    done
    echo '#f'
    return 1
}

rumpctrl_hostcmd() {
    ( PATH=$RUMPCTRL_HOSTPATH; export PATH; unset -f cd; "$@" )
}

# The shell's working directory is the host's; the kernel has none to change (rumpctrl's rule).
cd() {
    echo "ERROR: cd not available in rumpctrl mode $*"
    return 1
}

rumpctrl_exit() {
    PATH=$RUMPCTRL_HOSTPATH
    PS1=$RUMPCTRL_HOSTPS1
    export PATH
    unset RUMPCTRL_HOSTPATH RUMPCTRL_HOSTPS1
    unset -f rumpctrl_listcmds rumpctrl_hascmd rumpctrl_hostcmd rumpctrl_exit cd
}
