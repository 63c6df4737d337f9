#!/usr/bin/env bash
# jfetch against curl, side by side, downloading one file from nginx on loopback.
# Usage: bench/jfetch.sh [SIZE_MIB]   (default 1024). Prints markdown (hyperfine, peak RSS).
# Needs: nginx, curl, hyperfine, /usr/bin/time (make test installs them on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${RUNS:-5}
cargo build --release --quiet --bin jfetch
jfetch=$PWD/target/release/jfetch
nginx=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d /tmp/jfetch-bench.XXXXXX)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/www" "$work/logs" "$work/out"
# Incompressible bytes, so nothing along the way can make them cheaper.
head -c $((size_mib << 20)) /dev/urandom > "$work/www/img.bin"
sha=$(sha256sum "$work/www/img.bin" | cut -d' ' -f1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$port; root $work/www; }
}
CONF
"$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/logs/error.log" &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url=http://127.0.0.1:$port/img.bin
out=$work/out/img.bin

echo "## jfetch benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
echo "- input: ${size_mib} MiB of random bytes served by $("$nginx" -v 2>&1 | cut -d' ' -f3) on 127.0.0.1 (sendfile on); hyperfine, 1 warm-up, ${runs} runs"
echo "- output directory: $work/out on $(df --output=fstype "$work/out" | tail -1)"
echo "- reference: $(curl --version | head -1 | cut -d' ' -f1-2)"
echo "- jfetch -o fsyncs OUT.part before the rename; curl -o does not sync, so a third row adds sync"
echo

echo "### Download to a file (issue 15 item 6: each jfetch row <= 1.10x the curl row above it)"
echo
echo "Both sides write the file and make it durable (curl -o has no fsync, so its rows add sync FILE)."
echo
hyperfine --style none --warmup 1 --runs "$runs" --export-markdown "$work/table.md" \
  --prepare "rm -f $out $out.part" \
  -n "curl -o; sync (no verification)" "curl -s -o $out $url; sync $out" \
  -n "jfetch -o (no digest)" "$jfetch -q -o $out $url" \
  -n "curl | tee FILE | openssl dgst -sha256; sync" "curl -s $url | tee $out | openssl dgst -sha256 >/dev/null; sync $out" \
  -n "jfetch -o --sha256" "$jfetch -q -o $out --sha256 $sha $url" \
  -n "curl -o (no sync, no verification)" "curl -s -o $out $url" >/dev/null
cat "$work/table.md"
echo

echo "### Stream to a pipe"
echo
hyperfine --style none --warmup 1 --runs "$runs" --export-markdown "$work/table.md" \
  -n "curl | cat (no verification)" "curl -s $url | cat > /dev/null" \
  -n "curl | sha256sum" "curl -s $url | sha256sum > /dev/null" \
  -n "jfetch --sha256 | cat" "$jfetch -q --sha256 $sha $url | cat > /dev/null" >/dev/null
cat "$work/table.md"
echo

echo "### Peak memory (streaming: flat whatever the size)"
echo
echo "| command | max RSS |"
echo "|:---|---:|"
rss() {
  local name=$1
  shift
  rm -f "$out" "$out.part"
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null
  echo "| $name | $(( $(cat "$work/rss") / 1024 )) MiB |"
}
rss "curl -o" curl -s -o "$out" "$url"
rss "jfetch -o --sha256" "$jfetch" -q -o "$out" --sha256 "$sha" "$url"
rss "jfetch --sha256 > /dev/null" "$jfetch" -q --sha256 "$sha" "$url"
