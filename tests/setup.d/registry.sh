# jfetch's registry tests (tests/jfetch_registry.rs): Debian's docker-registry (distribution)
# started by each test on a free loopback port, htpasswd (apache2-utils) for its basic auth,
# openssl for the test CA and the token signer, and the reference OCI tools skopeo (copy,
# inspect, push and pull both ways), umoci (builds the images) and oci-image-tool (validate).
# Checked by what the tests run, not by package name.
registry_need=()
[[ -x /usr/bin/docker-registry ]] || registry_need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || registry_need+=(apache2-utils)
command -v skopeo >/dev/null 2>&1 || registry_need+=(skopeo)
command -v umoci >/dev/null 2>&1 || registry_need+=(umoci)
command -v oci-image-tool >/dev/null 2>&1 || registry_need+=(oci-image-tool)
command -v openssl >/dev/null 2>&1 || registry_need+=(openssl)
if ((${#registry_need[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing for jfetch's registry tests: ${registry_need[*]}"
    DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock \
      apt-get install -y -qq --no-install-recommends "${registry_need[@]}" >/dev/null
  else
    echo "setup: missing for jfetch's registry tests (they will be SKIPPED): ${registry_need[*]}"
  fi
fi
# The package starts a registry on :5000 with the stock config; the tests start their own.
# A registry must actually serve: start one on a free port and ask it for /v2/.
registry_works() {
  local dir port rc=1 pid i
  dir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 45999)
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s/s\nhttp:\n  addr: 127.0.0.1:%s\n' "$dir" "$port" > "$dir/c.yml"
  docker-registry serve "$dir/c.yml" >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 1 50); do
    if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then rc=0; break; fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  return $rc
}
if command -v docker-registry >/dev/null 2>&1 && ! registry_works; then
  echo "setup: docker-registry does not serve on loopback (jfetch_registry will FAIL)"
fi
unset registry_need
