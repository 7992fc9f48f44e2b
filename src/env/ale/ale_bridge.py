#!/usr/bin/env python3
"""Bridge between the Deno side of eprop (src/env/ale/ale_env.ts) and the Arcade Learning
Environment (ale-py). Started by ale_env.ts with stdin/stdout pipes; exits when stdin closes.

Runs N emulators through ale_py.vector_env.AtariVectorEnv (C++ worker threads): preprocessed
frames (grey, max-pooled over the last two frames of the action repeat, resized by OpenCV
INTER_AREA; what the C++ side does) or raw RGB 210x160 frames (frameskip 1, no max-pool, no
resize). Rewards are sent unclipped. Episodes that end at a step (or that the Deno side cuts at
the maximum episode length) are reset at the same step, so the observation sent for them is the
first frame of the next episode (ALE's "NextStep" autoreset with an explicit masked reset).

Protocol (little-endian). Every message is an 8-byte header, u32 code and u32 payload length,
then the payload.
  Deno -> bridge:  1 CONFIG  JSON {game, numEnvs, raw, frameSkip, noopMax, size,
                             maxEpisodeFrames, numThreads}
                   2 RESET   i32[N] seeds (each >= 1)
                   3 STEP    i32[N] actions, u8[N] cut mask (reset after this step)
                   4 RESET_SOME  u8[N] mask
                   5 REPLAY  i32[N] seeds, then records (u8 op 3 or 4, u32 length, payload):
                             a RESET with the seeds and the records' STEP and RESET_SOME
                             messages run again without replies, then the last one's FRAMES
                             (a snapshot's restore: the emulators are deterministic)
  bridge -> Deno:  1 HELLO   JSON {aleVersion, numpyVersion, actions, shape, python}
                   2 FRAMES  f64[N] rewards, i32[N] lives, i32[N] episode frames (at the step,
                             before any reset), u8[N] terminated, u8[N] truncated,
                             u8[N*H*W*C] observations
                   3 ERROR   UTF-8 text
"""

import difflib
import json
import os
import struct
import sys
import threading

HEADER = struct.Struct("<II")
CONFIG, RESET, STEP, RESET_SOME, REPLAY = 1, 2, 3, 4, 5
RECORD = struct.Struct("<BI")
HELLO, FRAMES, ERROR = 1, 2, 3
CRASH_MARK = b"Error in worker thread"


class Channel:
    """The protocol stream: a private duplicate of the original stdout, with a lock so that the
    stderr watcher can report a crash while the main thread is blocked inside the emulators."""

    def __init__(self):
        self.out = os.fdopen(os.dup(1), "wb", buffering=0)
        self.lock = threading.Lock()
        self.stdin = sys.stdin.buffer

    def send(self, code, *parts):
        size = sum(len(memoryview(p).cast("B")) for p in parts)
        with self.lock:
            self.out.write(HEADER.pack(code, size))
            for p in parts:
                self.out.write(p)

    def error(self, text):
        self.send(ERROR, text.encode("utf-8"))

    def read(self):
        head = self.stdin.read(HEADER.size)
        if len(head) < HEADER.size:
            return None, None
        code, size = HEADER.unpack(head)
        payload = self.stdin.read(size) if size else b""
        if len(payload) < size:
            return None, None
        return code, payload


def watch_stderr(channel):
    """Routes fd 2 (and stray writes to fd 1, e.g. emulator logs) through a pipe to the original
    stderr; an exception in an ALE worker thread (which the C++ side only logs, leaving the
    waiting step hanging) becomes an ERROR message and ends the bridge."""
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.dup2(write_end, 1)
    os.close(write_end)

    def pump():
        pending = b""
        while True:
            chunk = os.read(read_end, 65536)
            if not chunk:
                return
            os.write(original, chunk)
            pending = (pending + chunk)[-4096:]
            at = pending.find(CRASH_MARK)
            if at >= 0 and b"\n" in pending[at:]:
                line = pending[at:].split(b"\n", 1)[0].decode("utf-8", "replace")
                try:
                    channel.error(f"ALE emulator crashed: {line}")
                finally:
                    os._exit(3)

    threading.Thread(target=pump, daemon=True).start()


def snake(name):
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0 and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out).replace("-", "_").replace(" ", "_")


def open_env(config):
    try:
        import numpy as np
        import ale_py
        from ale_py import roms
        from ale_py.vector_env import AtariVectorEnv
    except ImportError as e:
        raise RuntimeError(
            f"ale-py is not installed for {sys.executable} ({e}): pip install ale-py gymnasium"
        ) from None
    game = config["game"]
    ids = roms.get_all_rom_ids()
    if game not in ids:
        close = difflib.get_close_matches(game, ids, n=6, cutoff=0.6)
        if snake(game) in ids and snake(game) not in close:
            close.insert(0, snake(game))
        hint = (
            f"close names: {', '.join(close)}"
            if close
            else f"known games: {', '.join(sorted(ids))}"
        )
        raise KeyError(f'unknown Atari game "{game}" (ROM ids are snake_case); {hint}')
    n = config["numEnvs"]
    raw = config["raw"]
    common = dict(
        num_threads=config.get("numThreads", 0),
        stack_num=1,
        # noop_max 0 would give std::uniform_int_distribution(0, -1): 1 gives no random no-ops.
        noop_max=max(1, config["noopMax"]),
        reward_clipping=False,
        autoreset_mode="NextStep",
        max_num_frames_per_episode=config["maxEpisodeFrames"],
        repeat_action_probability=float(config.get("stickyActions", 0.0)),
        full_action_space="actions" in config,
    )
    if raw:
        env = AtariVectorEnv(game, n, img_height=210, img_width=160, grayscale=False,
                             frameskip=1, maxpool=False, **common)
        shape = [210, 160, 3]
    else:
        size = config["size"]
        env = AtariVectorEnv(game, n, img_height=size, img_width=size, grayscale=True,
                             frameskip=config["frameSkip"], maxpool=config.get("maxPool", True),
                             **common)
        shape = [size, size, 1]
    names = [a.name for a in env.ale.get_action_set()]
    if "actions" in config:
        missing = [a for a in config["actions"] if a not in names]
        if missing:
            raise ValueError(f"actions {missing} are not ALE actions ({', '.join(names)})")
        action_ids = np.array([names.index(a) for a in config["actions"]], np.int32)
        actions = list(config["actions"])
    else:
        action_ids = np.arange(len(names), dtype=np.int32)
        actions = names
    hello = {
        "aleVersion": ale_py.__version__,
        "numpyVersion": np.__version__,
        "actions": actions,
        "shape": shape,
        "python": sys.executable,
    }
    return np, env, hello, action_ids


class Session:
    def __init__(self, np, env, n, action_ids):
        self.np = np
        self.env = env
        self.action_ids = action_ids
        self.n = n
        self.started = False
        self.zeros_f64 = np.zeros(n, np.float64)
        self.zeros_u8 = np.zeros(n, np.uint8)

    def frames(self, channel, obs, rewards, lives, episode_frames, terminated, truncated):
        np = self.np
        channel.send(
            FRAMES,
            np.ascontiguousarray(rewards, np.float64),
            np.ascontiguousarray(lives, np.int32),
            np.ascontiguousarray(episode_frames, np.int32),
            np.ascontiguousarray(terminated, np.uint8),
            np.ascontiguousarray(truncated, np.uint8),
            np.ascontiguousarray(obs, np.uint8),
        )

    def reset(self, channel, payload):
        np = self.np
        seeds = np.frombuffer(payload, np.int32, self.n)
        obs, info = self.env.reset(seed=seeds.astype(np.int64))
        self.started = True
        self.frames(channel, obs, self.zeros_f64, info["lives"], info["episode_frame_number"],
                    self.zeros_u8, self.zeros_u8)

    def require_started(self):
        if not self.started:
            raise RuntimeError("step before reset")

    def step(self, channel, payload):
        np = self.np
        self.require_started()
        n = self.n
        actions = np.frombuffer(payload, np.int32, n, 0)
        cut = np.frombuffer(payload, np.uint8, n, 4 * n)
        bad = np.nonzero((actions < 0) | (actions >= len(self.action_ids)))[0]
        if len(bad):
            raise ValueError(f"actions[{bad[0]}] = {actions[bad[0]]} is not an action index")
        obs, rewards, terminated, truncated, info = self.env.step(self.action_ids[actions])
        episode_frames = info["episode_frame_number"].copy()
        lives = info["lives"]
        ended = terminated | truncated | (cut != 0)
        if ended.any():
            obs = obs.copy()
            lives = lives.copy()
            fresh, info2 = self.env.reset(options={"reset_mask": ended})
            obs[ended] = fresh[ended]
            lives[ended] = info2["lives"][ended]
        self.frames(channel, obs, rewards, lives, episode_frames, terminated, truncated)

    def reset_some(self, channel, payload):
        np = self.np
        self.require_started()
        mask = np.frombuffer(payload, np.uint8, self.n) != 0
        obs, info = self.env.reset(options={"reset_mask": mask})
        self.frames(channel, obs, self.zeros_f64, info["lives"], info["episode_frame_number"],
                    self.zeros_u8, self.zeros_u8)


class Sink:
    """A channel that keeps the last FRAMES message instead of sending it (for REPLAY)."""

    def __init__(self):
        self.last = b""

    def send(self, code, *parts):
        self.last = b"".join(bytes(memoryview(p).cast("B")) for p in parts)


def replay(session, channel, payload):
    n = session.n
    sink = Sink()
    session.reset(sink, payload[: 4 * n])
    handlers = {STEP: session.step, RESET_SOME: session.reset_some}
    at = 4 * n
    while at < len(payload):
        op, size = RECORD.unpack_from(payload, at)
        at += RECORD.size
        if op not in handlers or at + size > len(payload):
            raise ValueError(f"bad replay record at byte {at - RECORD.size} (op {op}, {size} bytes)")
        handlers[op](sink, payload[at : at + size])
        at += size
    channel.send(FRAMES, sink.last)


def main():
    channel = Channel()
    watch_stderr(channel)
    code, payload = channel.read()
    if code is None:
        return 0
    if code != CONFIG:
        channel.error(f"expected CONFIG (1) first, got message {code}")
        return 2
    try:
        config = json.loads(payload.decode("utf-8"))
        np, env, hello, action_ids = open_env(config)
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        channel.error(str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e))
        return 2
    session = Session(np, env, config["numEnvs"], action_ids)
    channel.send(HELLO, json.dumps(hello).encode("utf-8"))
    handlers = {
        RESET: session.reset,
        STEP: session.step,
        RESET_SOME: session.reset_some,
        REPLAY: lambda ch, payload: replay(session, ch, payload),
    }
    while True:
        code, payload = channel.read()
        if code is None:
            break
        handler = handlers.get(code)
        try:
            if handler is None:
                raise ValueError(f"unknown message {code}")
            handler(channel, payload)
        except Exception as e:  # reported to the Deno side, which fails the pending call
            channel.error(f"{type(e).__name__}: {e}")
    env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
