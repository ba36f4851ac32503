# Shared helpers of the shell benchmarks; `source benchmarks/lib.sh` from the project root.

# A scratch folder in $work, removed (with every background job stopped) when the script exits.
# 0755: nginx workers run as nobody.
bench_workdir() {
  work=$(mktemp -d "/tmp/burrow-$1-XXXXXX")
  chmod 755 "$work"
  trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT
}

# The rootless Podman of scripts/test-env.sh: its environment, and as_user to run podman as its user.
use_test_podman() {
  eval "$(bash scripts/test-env.sh 2>/dev/null)"
  user=$BURROW_TEST_PODMAN_USER
  uid=$(id -u "$user")
}
as_user() { runuser -u "$user" -- env XDG_RUNTIME_DIR=/run/user/$uid HOME=$(getent passwd "$user" | cut -d: -f6) "$@"; }

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
now_ms() { date +%s%N | awk '{printf "%.3f", $1/1e6}'; }

# nginx (2 workers) in the background on 127.0.0.1:PORT serving $work/www, with extra directives for
# its server block: start_nginx PORT [DIRECTIVES] [WORKER_CONNECTIONS]
start_nginx() {
  mkdir -p "$work/www"
  cat > "$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections ${3:-1024}; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; root $work/www; ${2:-} }
}
NGINX
  nginx -c "$work/nginx.conf" -g 'daemon off;' &
}

# A 500 MiB file of random bytes at $work/www/big.bin.
make_big_file() {
  mkdir -p "$work/www"
  head -c $((500 * 1048576)) /dev/urandom > "$work/www/big.bin"
}

# Burrow's egress proxy (the one every burrow gets) on the Unix socket SOCKET, allowing only
# bench.burrow.test:PORT (resolved to 127.0.0.1), its model endpoint forwarding to nginx there:
# start_egress_proxy SOCKET PORT
start_egress_proxy() {
  .build/release/burrow-bench egress-proxy --socket "$1" --allow "bench.burrow.test:$2" \
    --resolve bench.burrow.test=127.0.0.1 --upstream "http://127.0.0.1:$2" --key sk-ant-api-bench > "$work/proxy.log" 2>&1 &
  for _ in $(seq 50); do [ -S "$1" ] && break; sleep 0.1; done
}
