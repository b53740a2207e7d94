#!/usr/bin/env bash
# Several hosts on one machine, for trying the market across hosts: N network namespaces
# (host1 … hostN) and a control namespace (ctl, where a supervisor and a PostgreSQL server
# would run), joined by a Linux bridge that lives in a namespace of its own, so nothing is
# added to the machine's own network. Addresses exist only inside those namespaces
# (10.77.0.K for hostK, 10.77.0.254 for ctl), with no default route: nothing gets out.
# Each host runs its own sshd (its own host key, config, pid file and log in the set's
# directory); the set's client key and ssh_config let the control namespace log in with
# no prompt:
#
#   tools/hosts.sh up 3
#   tools/hosts.sh exec ctl ssh -F /tmp/market-hosts-market/ssh_config host1 hostname
#
# Commands (run as root):
#   up N          make the set with N hosts, or finish or repair one (idempotent)
#   down          remove everything of the set, also after a half-made `up`
#   status        list the set's members, links and sshds (exit 1 when something is missing)
#   cut NAME      take NAME's link down (NAME: host1 …, or ctl): it can neither send nor receive
#   heal NAME     bring NAME's link back up
#   exec NAME CMD run CMD in NAME's namespace
#
# MARKET_HOSTS_PREFIX (default "market") names the set: its namespaces are PREFIX-ctl,
# PREFIX-net and PREFIX-host1 …, so sets with different prefixes coexist (each has its own
# bridge, so they may all use the same addresses). MARKET_HOSTS_DIR (default
# /tmp/market-hosts-PREFIX) holds the set's keys and configs. When sshd is missing, `up`
# installs Debian's openssh-server without letting it start or stay enabled as the
# machine's own sshd (MARKET_HOSTS_INSTALL=0 forbids installing).
#
# Exit status: 0 done, 1 failed, 2 usage, 3 hosts cannot be made here (not root, no
# network namespaces, no sshd): a test takes 3 as a reason to skip.
set -euo pipefail

readonly subnet=10.77.0
readonly control_address=$subnet.254
readonly max_hosts=200
readonly prefix=${MARKET_HOSTS_PREFIX:-market}
readonly dir=${MARKET_HOSTS_DIR:-/tmp/market-hosts-$prefix}
readonly marker=.market-hosts

usage() {
  cat >&"${1:-2}" <<'EOF'
usage: tools/hosts.sh up N | down | status | cut NAME | heal NAME | exec NAME COMMAND...
  (MARKET_HOSTS_PREFIX names the set, default "market"; MARKET_HOSTS_DIR its directory)
EOF
  exit "${2:-2}"
}

fail() {
  echo "hosts.sh: $*" >&2
  exit 1
}

unavailable() {
  echo "hosts.sh: $*" >&2
  exit 3
}

[[ $prefix =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$ ]] \
  || fail "MARKET_HOSTS_PREFIX '$prefix' is not a name: letters, digits, '.', '_' and '-', at most 41"

net_ns=$prefix-net
ctl_ns=$prefix-ctl

# The namespace of a member (ctl or hostK), and its address.
namespace_of() { echo "$prefix-$1"; }
address_of() {
  case $1 in
    ctl) echo "$control_address" ;;
    host*) echo "$subnet.${1#host}" ;;
  esac
}

valid_member() {
  [[ $1 == ctl || $1 =~ ^host([1-9][0-9]*)$ && ${BASH_REMATCH[1]} -le $max_hosts ]]
}

# Every namespace there is now, one name a line.
all_namespaces() { ip netns list 2>/dev/null | awk '{ print $1 }'; }

# This set's namespaces (and only this set's: "a-b-ctl" is not a member of set "a").
set_namespaces() {
  local name
  all_namespaces | while read -r name; do
    [[ $name == "$prefix"-* ]] || continue
    local rest=${name#"$prefix"-}
    if [[ $rest == net || $rest == ctl || $rest =~ ^host[1-9][0-9]*$ ]]; then echo "$name"; fi
  done
}

# Lines as one line of words, for messages.
words() { tr '\n' ' ' <<<"$1" | sed 's/ *$//'; }

# grep reads to the end: with -q it could leave `ip` a broken pipe, which pipefail counts.
has_namespace() { all_namespaces | grep -xF -- "$1" >/dev/null; }

# The hosts the set has now, host1 … in order of their number.
set_hosts() {
  set_namespaces | sed -n "s/^${prefix//./\\.}-\(host[0-9]*\)$/\1/p" | sort -t t -k 2 -n
}

require_root() {
  [ "$(id -u)" -eq 0 ] || unavailable "must run as root: making network namespaces needs CAP_SYS_ADMIN"
}

require_netns() {
  command -v ip >/dev/null || unavailable "the ip command (iproute2) is not installed"
  ip netns list >/dev/null 2>&1 || unavailable "ip netns is unavailable here: $(ip netns list 2>&1 | head -n 1)"
}

sshd_path() { command -v sshd 2>/dev/null || { [ -x /usr/sbin/sshd ] && echo /usr/sbin/sshd; } || true; }

# Debian's openssh-server, kept from running as the machine's own sshd: the marker file its
# unit and init script honour is made first, a policy-rc.d refuses the start during the
# install, and the units are masked after.
install_sshd() {
  [ "${MARKET_HOSTS_INSTALL:-1}" != 0 ] || unavailable "sshd is not installed (and MARKET_HOSTS_INSTALL=0 forbids installing openssh-server)"
  command -v apt-get >/dev/null || unavailable "sshd is not installed and there is no apt-get to install openssh-server"
  echo "hosts.sh: installing openssh-server (its own sshd kept stopped and disabled)" >&2
  mkdir -p /etc/ssh
  touch /etc/ssh/sshd_not_to_be_run
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy
    chmod 755 $policy
    made_policy=1
  fi
  local status=0
  {
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq openssh-server >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq openssh-server >/dev/null 2>&1; }
  } || status=$?
  [ -z "$made_policy" ] || rm -f $policy
  if command -v systemctl >/dev/null; then
    systemctl mask ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
  [ "$status" -eq 0 ] || unavailable "sshd is not installed and installing openssh-server failed (apt-get exit $status)"
}

require_tools() {
  [ -n "$(sshd_path)" ] || install_sshd
  [ -n "$(sshd_path)" ] || unavailable "sshd is still missing after installing openssh-server"
  local tool
  for tool in ssh ssh-keygen; do
    command -v $tool >/dev/null || unavailable "$tool is not installed (Debian's openssh-client)"
  done
}

# sshd without PAM takes a password field that starts with "!" for a locked account and lets
# nobody in, not even with a key: said before anything is made, rather than as a refused login.
require_unlocked_login() {
  local user field
  user=$(id -un)
  field=$(getent shadow "$user" 2>/dev/null | cut -d : -f 2) || true
  case $field in
    '!'* | '*LK*'*)
      fail "the account $user is locked in /etc/shadow, so no sshd lets it in, even with a key: 'usermod -p \"*\" $user' unlocks it for keys only" ;;
  esac
}

# The PID in a member's pid file when that process is its sshd (a PID reused by another
# process does not count: the command line must name the member's config).
sshd_pid() {
  local file=$dir/$1/sshd.pid pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F -- "$dir/$1/sshd_config" >/dev/null || return 1
  echo "$pid"
}

hosts_file_text() {
  local count=$1 k
  printf '127.0.0.1\tlocalhost\n%s\tctl\n' "$control_address"
  for ((k = 1; k <= count; k++)); do printf '%s\thost%d\n' "$(address_of host$k)" "$k"; done
}

ensure_namespace() {
  local ns=$1
  local said
  if ! has_namespace "$ns"; then
    said=$(ip netns add "$ns" 2>&1) || unavailable "cannot make a network namespace here: $said"
  fi
  ip -n "$ns" link set lo up
  # Only the private IPv4 addresses below: no IPv6 link-local ones beside them.
  if [ -e /proc/sys/net/ipv6 ]; then
    ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true
  fi
}

# A member's namespace on the bridge: a veth pair whose bridge end is named after the member
# and whose other end is the member's eth0, with the member's address. A new link comes up;
# an existing one keeps its state, so `up` again does not heal a cut.
ensure_member() {
  local name=$1 count=$2
  local ns
  ns=$(namespace_of "$name")
  ensure_namespace "$ns"
  if ! ip -n "$net_ns" link show "$name" >/dev/null 2>&1; then
    ip -n "$ns" link del eth0 2>/dev/null || true
    local said
    said=$(ip -n "$net_ns" link add "$name" type veth peer name eth0 netns "$ns" 2>&1) \
      || unavailable "cannot make a veth pair here: $said"
    ip -n "$net_ns" link set "$name" master br0
    ip -n "$net_ns" link set "$name" up
  fi
  ip -n "$ns" addr replace "$(address_of "$name")/24" dev eth0
  ip -n "$ns" link set eth0 up
  # ip netns exec mounts /etc/netns/NS/hosts over /etc/hosts: names resolve inside the set.
  mkdir -p "/etc/netns/$ns"
  hosts_file_text "$count" >"/etc/netns/$ns/hosts"
}

write_sshd_config() {
  local name=$1 address
  address=$(address_of "$name")
  cat >"$dir/$name/sshd_config" <<EOF
# Written by tools/hosts.sh: the sshd of $name in the set $prefix.
ListenAddress $address:22
HostKey $dir/$name/ssh_host_ed25519_key
PidFile $dir/$name/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
# The set's directory is under /tmp, which sshd's owner checks would refuse.
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
LoginGraceTime 20
# Many peers of one run may log in at once.
MaxStartups 200:30:400
MaxSessions 100
Subsystem sftp internal-sftp
EOF
}

# Each host's sshd in a UTS namespace of its own named after the host, so `hostname` there
# says which host a command ran on.
ensure_sshd() {
  local name=$1 ns sshd
  ns=$(namespace_of "$name")
  sshd_pid "$name" >/dev/null && return 0
  sshd=$(sshd_path)
  mkdir -p /run/sshd
  chmod 755 /run/sshd
  local check
  check=$("$sshd" -t -f "$dir/$name/sshd_config" 2>&1) || fail "the sshd config of $name is refused: $check"
  rm -f "$dir/$name/sshd.pid"
  local start=("$sshd" -f "$dir/$name/sshd_config" -E "$dir/$name/sshd.log")
  if command -v unshare >/dev/null; then
    # shellcheck disable=SC2016 # $0 and $@ are the inner shell's.
    ip netns exec "$ns" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$name" "${start[@]}" \
      || fail "sshd of $name did not start: $(tail -n 1 "$dir/$name/sshd.log" 2>/dev/null)"
  else
    ip netns exec "$ns" "${start[@]}" || fail "sshd of $name did not start: $(tail -n 1 "$dir/$name/sshd.log" 2>/dev/null)"
  fi
}

# Until every host's sshd answers a connection from the control namespace with its banner
# (20 s at most). Logging in is the user's to try: a refused key is not a reason to wait.
wait_for_sshds() {
  local name deadline=$((SECONDS + 20))
  for name in "$@"; do
    # shellcheck disable=SC2016 # $0 is the inner shell's.
    until [ "$(ip netns exec "$ctl_ns" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/22" && head -c 4 <&3' "$(address_of "$name")" 2>/dev/null)" = SSH- ]; do
      ((SECONDS < deadline)) || fail "the sshd of $name did not answer within 20 s; its log is $dir/$name/sshd.log"
      sleep 0.1
    done
  done
}

write_client_files() {
  local count=$1 k name
  {
    echo "# Written by tools/hosts.sh for the set $prefix: ssh -F $dir/ssh_config hostK (from $ctl_ns)."
    for ((k = 1; k <= count; k++)); do
      printf 'Host host%d\n  HostName %s\n' "$k" "$(address_of host$k)"
    done
    cat <<EOF
Host *
  User $(id -un)
  IdentityFile $dir/id_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  ConnectTimeout 5
  ServerAliveInterval 5
  ServerAliveCountMax 3
  ControlMaster no
  ControlPath none
  LogLevel ERROR
  # Inside one machine's private set, the classic exchange first: a login costs about a
  # third less CPU than with the post-quantum hybrid, which stays allowed.
  KexAlgorithms curve25519-sha256,sntrup761x25519-sha512@openssh.com
EOF
  } >"$dir/ssh_config"
  : >"$dir/known_hosts"
  for ((k = 1; k <= count; k++)); do
    name=host$k
    printf '%s,%s %s\n' "$name" "$(address_of $name)" "$(cut -d ' ' -f 1,2 "$dir/$name/ssh_host_ed25519_key.pub")" >>"$dir/known_hosts"
  done
  {
    printf 'name\taddress\tnamespace\n'
    printf 'ctl\t%s\t%s\n' "$control_address" "$ctl_ns"
    for ((k = 1; k <= count; k++)); do printf 'host%d\t%s\t%s\n' "$k" "$(address_of host$k)" "$(namespace_of host$k)"; done
  } >"$dir/hosts"
}

cmd_up() {
  [ $# -eq 1 ] || usage
  local count=$1
  if ! [[ $count =~ ^[1-9][0-9]*$ ]] || [ "$count" -gt $max_hosts ]; then
    fail "the number of hosts must be 1 to $max_hosts, not '$count'"
  fi
  require_root
  require_netns
  require_tools
  require_unlocked_login
  local extra
  extra=$(set_hosts | while read -r name; do if [ "${name#host}" -gt "$count" ]; then echo "$name"; fi; done)
  [ -z "$extra" ] || fail "the set $prefix already has more hosts ($(words "$extra")); run down first"

  if [ -e "$dir" ] && [ ! -e "$dir/$marker" ] && [ -n "$(ls -A "$dir")" ]; then
    fail "$dir exists and is not a hosts set's directory; set MARKET_HOSTS_DIR to another"
  fi
  (umask 077 && mkdir -p "$dir")
  chmod 700 "$dir"
  echo "$prefix" >"$dir/$marker"
  [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "market-hosts-$prefix" -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"

  ensure_namespace "$net_ns"
  local said
  if ! ip -n "$net_ns" link show br0 >/dev/null 2>&1; then
    said=$(ip -n "$net_ns" link add br0 type bridge 2>&1) || unavailable "cannot make a bridge here: $said"
  fi
  ip -n "$net_ns" link set br0 up
  ensure_member ctl "$count"
  local k name
  for ((k = 1; k <= count; k++)); do
    name=host$k
    ensure_member $name "$count"
    mkdir -p "$dir/$name"
    [ -f "$dir/$name/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$dir/$name/ssh_host_ed25519_key"
    write_sshd_config $name
  done
  write_client_files "$count"
  # Only the sshds started now are waited for: one already running may sit behind a cut link.
  local started=()
  for ((k = 1; k <= count; k++)); do
    sshd_pid host$k >/dev/null || { ensure_sshd host$k && started+=("host$k"); }
  done
  [ ${#started[@]} -eq 0 ] || wait_for_sshds "${started[@]}"
  local noun=hosts
  [ "$count" -ne 1 ] || noun=host
  echo "hosts.sh: $count $noun up in the set $prefix; log in from the control namespace with: ip netns exec $ctl_ns ssh -F $dir/ssh_config host1"
}

# Kills what runs in the set's namespaces (its sshds, their sessions, anything started there)
# and any sshd of its pid files, then removes namespaces (the bridge and veths go with them),
# /etc/netns entries and the directory. Anything may be missing: a half-made set goes too.
cmd_down() {
  [ $# -eq 0 ] || usage
  require_root
  require_netns
  local namespaces ns member pid
  local -a pids=()
  namespaces=$(set_namespaces)
  for ns in $namespaces; do
    while read -r pid; do [ -z "$pid" ] || pids+=("$pid"); done < <(ip netns pids "$ns" 2>/dev/null || true)
  done
  if [ -d "$dir" ]; then
    for member in "$dir"/host*/; do
      [ -d "$member" ] || continue
      if pid=$(sshd_pid "$(basename "$member")"); then pids+=("$pid"); fi
    done
  fi
  if [ ${#pids[@]} -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 5))
    local -a alive
    while :; do
      alive=()
      for pid in "${pids[@]}"; do
        if [ -e "/proc/$pid" ] && [ "$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; then alive+=("$pid"); fi
      done
      [ ${#alive[@]} -gt 0 ] || break
      if ((SECONDS >= deadline)); then
        kill -KILL "${alive[@]}" 2>/dev/null || true
        break
      fi
      sleep 0.05
    done
  fi
  for ns in $namespaces; do ip netns del "$ns" 2>/dev/null || true; done
  local entry
  for entry in /etc/netns/"$prefix"-*; do
    [ -d "$entry" ] || continue
    local rest=${entry#/etc/netns/"$prefix"-}
    [[ $rest == net || $rest == ctl || $rest =~ ^host[1-9][0-9]*$ ]] && rm -rf "$entry"
  done
  if [ -e "$dir/$marker" ]; then
    rm -rf "$dir"
  elif [ -d "$dir" ]; then
    rmdir "$dir" 2>/dev/null || echo "hosts.sh: left $dir (not a hosts set's directory)" >&2
  fi
  local left
  left=$(set_namespaces)
  [ -z "$left" ] || fail "namespaces still there: $(words "$left")"
}

cmd_status() {
  [ $# -eq 0 ] || usage
  require_root
  require_netns
  local hosts namespaces
  namespaces=$(set_namespaces)
  if [ -z "$namespaces" ] && [ ! -e "$dir/$marker" ]; then
    echo "no hosts set $prefix"
    return 1
  fi
  hosts=$(set_hosts)
  echo "set $prefix: $(wc -w <<<"$hosts") hosts; directory $dir"
  local complete=1 name ns link sshd
  has_namespace "$net_ns" || { echo "missing: the bridge's namespace $net_ns"; complete=""; }
  printf '%-8s %-13s %-24s %-6s %s\n' name address namespace link sshd
  for name in ctl $hosts; do
    ns=$(namespace_of "$name")
    if ! has_namespace "$ns"; then
      link=missing
      complete=""
    elif ip -n "$net_ns" -o link show "$name" 2>/dev/null | grep -E '[<,]UP[,>]' >/dev/null; then
      link=up
    elif ip -n "$net_ns" link show "$name" >/dev/null 2>&1; then
      link="cut"
    else
      link=none
      complete=""
    fi
    if [ "$name" = ctl ]; then
      sshd=-
    elif pid=$(sshd_pid "$name"); then
      sshd="running (pid $pid)"
    else
      sshd="not running"
      complete=""
    fi
    printf '%-8s %-13s %-24s %-6s %s\n' "$name" "$(address_of "$name")" "$ns" "$link" "$sshd"
  done
  [ -n "$complete" ]
}

member_argument() {
  [ $# -eq 1 ] || usage
  valid_member "$1" || fail "'$1' is not a member's name: ctl or host1, host2, …"
  has_namespace "$(namespace_of "$1")" || fail "$1 is not in the set $prefix (tools/hosts.sh status lists its members)"
}

cmd_cut() {
  require_root
  member_argument "$@"
  ip -n "$net_ns" link set "$1" down
}

cmd_heal() {
  require_root
  member_argument "$@"
  ip -n "$net_ns" link set "$1" up
}

cmd_exec() {
  [ $# -ge 2 ] || usage
  require_root
  member_argument "$1"
  local ns
  ns=$(namespace_of "$1")
  shift
  exec ip netns exec "$ns" "$@"
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  cut) cmd_cut "$@" ;;
  heal) cmd_heal "$@" ;;
  exec) cmd_exec "$@" ;;
  -h | --help | help) usage 1 0 ;;
  *) echo "hosts.sh: unknown command '$command'" >&2; usage ;;
esac
