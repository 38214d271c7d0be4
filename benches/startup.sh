#!/usr/bin/env bash
# Start-up of the release binary to its first frame, peak memory, binary size.
#
#   benches/startup.sh            # builds `cargo build --release --bin kasse` first
#   KASSE_BIN=path/to/kasse benches/startup.sh   # measure an existing binary
#   KASSE_STARTUP_RUNS=20 benches/startup.sh
#
# Each run starts `kasse --demo --data-dir <fresh tmp dir>` in a 120×40 pseudo-terminal and
# times from exec to the status bar ("MSN 123456") appearing on the screen. Peak memory is
# VmHWM from /proc/<pid>/status, read 2 s after the first frame (screen, engine and the
# embedded simulator all running). Targets: ≤ 100 ms, ≤ 30 MB, ≤ 15 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${KASSE_BIN:-}"
if [[ -z "$BIN" ]]; then
  cargo build --release --bin kasse >&2
  BIN="${CARGO_TARGET_DIR:-target}/release/kasse"
fi
RUNS="${KASSE_STARTUP_RUNS:-10}"

python3 - "$BIN" "$RUNS" <<'PY'
import fcntl, os, pty, re, select, signal, struct, sys, tempfile, termios, time

binary, runs = sys.argv[1], int(sys.argv[2])
ansi = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]")

def hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None

def one_run():
    data = tempfile.mkdtemp(prefix="kasse-startup-")
    env = dict(os.environ, TERM="xterm-256color", KASSE_LOG="info")
    for k in ("KASSE_BASE_URL", "KASSE_CLIENT_SECRET", "KASSE_SUBSCRIPTION_KEY", "KASSE_CLIENT_ID", "KASSE_MSN"):
        env.pop(k, None)
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.execve(binary, [binary, "--demo", "--data-dir", data], env)
    buf = b""
    first = None
    deadline = t0 + 20
    while time.perf_counter() < deadline:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if b"MSN" in buf and b"123456" in ansi.sub(b"", buf):
                first = time.perf_counter() - t0
                break
    hwm_first = hwm_kb(pid)
    # Keep draining the pty while the app idles, then read the peak.
    end = time.perf_counter() + 2.0
    while time.perf_counter() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                os.read(fd, 65536)
            except OSError:
                break
    hwm_idle = hwm_kb(pid)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return first, hwm_first, hwm_idle

results = [one_run() for _ in range(runs)]
firsts = sorted(r[0] * 1000 for r in results if r[0] is not None)
hwm = max((r[2] or r[1] or 0) for r in results) / 1024
size = os.path.getsize(binary) / (1024 * 1024)
if not firsts:
    print("no run reached the first frame", file=sys.stderr)
    sys.exit(1)
def pct(v, p):
    i = max(1, -(-int(p * len(v)) // 100))
    return v[min(i, len(v)) - 1]
load = open("/proc/loadavg").read().split()[:3]
print(f"== start-up ({binary}, {os.cpu_count()} cores, load avg {' '.join(load)})")
print(f"{'measure':<34} {'value':>10}   target")
print(f"{'first frame p50 (' + str(len(firsts)) + ' runs)':<34} {pct(firsts, 50):>8.1f} ms   <= 100 ms {'MEETS' if pct(firsts, 50) <= 100 else 'MISSES'}")
print(f"{'first frame min / max':<34} {firsts[0]:>5.0f}/{firsts[-1]:<5.0f}ms")
print(f"{'peak memory (VmHWM, 2 s idle)':<34} {hwm:>8.1f} MB   <= 30 MB  {'MEETS' if hwm <= 30 else 'MISSES'}")
print(f"{'binary size':<34} {size:>8.1f} MB   <= 15 MB  {'MEETS' if size <= 15 else 'MISSES'}")
PY
