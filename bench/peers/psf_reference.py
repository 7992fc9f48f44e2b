#!/usr/bin/env python3
"""Independent numpy reference for python_speech_features' defaults (docs/spec/TIMIT.md,
"Features"): mfcc, logfbank, the log frame energy and delta, written from the library's
documented algorithm (python_speech_features itself is not installable here). numpy only:
numpy.fft.rfft for the spectrum, an explicit orthonormal DCT-II matrix.

usage:
  psf_reference.py FILE           a RIFF WAV (PCM16) or NIST SPHERE (PCM16) file, at 16 kHz
  psf_reference.py --raw FILE     raw little-endian int16 samples at 16 kHz
  psf_reference.py --json FILE    a JSON array of samples ("-": stdin)

Prints one JSON object: rate, samples (count), frames, mfcc [frames][13], mfcc_delta,
mfcc_delta2, fbank [frames][40] (log), energy [frames] (log), and the 123-dimensional filter-bank
input's deltas: fbank_delta, fbank_delta2 ([frames][41], the 41st column the log energy's).
"""
import json
import struct
import sys

import numpy as np

RATE = 16000
FRAME_LEN = 400
FRAME_STEP = 160
NFFT = 512
PREEMPH = 0.97
EPS = np.finfo(float).eps


def read_riff(data, name):
    if data[8:12] != b"WAVE":
        raise ValueError(f"{name}: RIFF file without WAVE form")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            if fmt is None:
                raise ValueError(f"{name}: data chunk before fmt chunk")
            tag, channels, rate, _, _, bits = fmt
            if tag != 1 or bits != 16 or channels != 1:
                raise ValueError(f"{name}: only mono PCM16 is read (format {tag}, "
                                 f"{channels} channels, {bits} bits)")
            return rate, np.frombuffer(body[:len(body) // 2 * 2], dtype="<i2").astype(np.int64)
        pos += 8 + size + (size & 1)
    raise ValueError(f"{name}: no data chunk")


def read_sphere(data, name):
    header_size = int(data[8:16].decode("ascii").strip())
    fields = {}
    for line in data[16:header_size].decode("ascii", "replace").splitlines():
        parts = line.split(None, 2)
        if not parts or parts[0] == "end_head":
            if parts:
                break
            continue
        if len(parts) == 3:
            fields[parts[0]] = parts[2].strip()
    coding = fields.get("sample_coding", "pcm")
    if coding != "pcm":
        raise ValueError(f"{name}: sample_coding {coding} is not read")
    if fields.get("sample_n_bytes", "2") != "2" or fields.get("channel_count", "1") != "1":
        raise ValueError(f"{name}: only mono 16-bit SPHERE is read")
    order = "<i2" if fields.get("sample_byte_format", "01") == "01" else ">i2"
    body = data[header_size:]
    samples = np.frombuffer(body[:len(body) // 2 * 2], dtype=order).astype(np.int64)
    count = int(fields.get("sample_count", len(samples)))
    return int(fields.get("sample_rate", RATE)), samples[:count]


def read_audio(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"RIFF":
        return read_riff(data, path)
    if data[:8] == b"NIST_1A\n":
        return read_sphere(data, path)
    raise ValueError(f"{path}: neither RIFF WAV nor NIST SPHERE")


def hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def power_frames(signal):
    """Pre-emphasis, framing with zero padding at the end, |rfft(512)|^2 / 512."""
    x = np.asarray(signal, dtype=np.float64)
    emphasised = np.concatenate(([x[0]], x[1:] - PREEMPH * x[:-1]))
    n = len(emphasised)
    frames = 1 if n <= FRAME_LEN else 1 + int(np.ceil((n - FRAME_LEN) / FRAME_STEP))
    padded = np.zeros((frames - 1) * FRAME_STEP + FRAME_LEN)
    padded[:n] = emphasised
    starts = np.arange(frames) * FRAME_STEP
    framed = padded[starts[:, None] + np.arange(FRAME_LEN)[None, :]]
    spectrum = np.fft.rfft(framed, NFFT, axis=1)
    power = (spectrum.real ** 2 + spectrum.imag ** 2) / NFFT
    energy = power.sum(axis=1)
    return power, np.where(energy == 0, EPS, energy)


def mel_filters(n_filters):
    """Triangular filters on FFT bins floor(513 * hz / 16000) of mel-spaced points 0..8 kHz."""
    mels = np.linspace(0.0, hz_to_mel(RATE / 2), n_filters + 2)
    edges = np.floor((NFFT + 1) * mel_to_hz(mels) / RATE).astype(int)
    bank = np.zeros((n_filters, NFFT // 2 + 1))
    for j in range(n_filters):
        lo, mid, hi = edges[j], edges[j + 1], edges[j + 2]
        for i in range(lo, mid):
            bank[j, i] = (i - lo) / (mid - lo)
        for i in range(mid, hi):
            bank[j, i] = (hi - i) / (hi - mid)
    return bank


def filter_energies(power, n_filters):
    feat = power @ mel_filters(n_filters).T
    return np.where(feat == 0, EPS, feat)


def dct_ortho_matrix(n):
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * k * (2 * i + 1) / (2 * n)) * np.sqrt(2.0 / n)
    m[0, :] = np.sqrt(1.0 / n)
    return m


def mfcc(signal, n_filters=26, n_cep=13, lifter=22):
    power, energy = power_frames(signal)
    logs = np.log(filter_energies(power, n_filters))
    cep = (logs @ dct_ortho_matrix(n_filters).T)[:, :n_cep]
    cep = cep * (1 + (lifter / 2.0) * np.sin(np.pi * np.arange(n_cep) / lifter))
    cep[:, 0] = np.log(energy)
    return cep


def logfbank_and_energy(signal, n_filters=40):
    power, energy = power_frames(signal)
    return np.log(filter_energies(power, n_filters)), np.log(energy)


def delta(feat, n=2):
    frames = len(feat)
    padded = np.concatenate([np.repeat(feat[:1], n, axis=0), feat,
                             np.repeat(feat[-1:], n, axis=0)])
    out = np.zeros_like(feat)
    for k in range(1, n + 1):
        out += k * (padded[n + k:n + k + frames] - padded[n - k:n - k + frames])
    return out / (2 * sum(k * k for k in range(1, n + 1)))


def main(argv):
    if len(argv) == 2 and not argv[1].startswith("--"):
        rate, samples = read_audio(argv[1])
    elif len(argv) == 3 and argv[1] == "--raw":
        rate, samples = RATE, np.fromfile(argv[2], dtype="<i2").astype(np.int64)
    elif len(argv) == 3 and argv[1] == "--json":
        text = sys.stdin.read() if argv[2] == "-" else open(argv[2]).read()
        rate, samples = RATE, np.asarray(json.loads(text), dtype=np.float64)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if rate != RATE:
        print(f"psf_reference: sample rate {rate} Hz, the features need {RATE}", file=sys.stderr)
        return 2
    if len(samples) == 0:
        print("psf_reference: the signal is empty", file=sys.stderr)
        return 2
    m = mfcc(samples)
    m_d = delta(m)
    fb, energy = logfbank_and_energy(samples)
    fb41 = np.concatenate([fb, energy[:, None]], axis=1)
    fb_d = delta(fb41)
    out = {
        "rate": int(rate),
        "samples": int(len(samples)),
        "frames": int(len(m)),
        "mfcc": m.tolist(),
        "mfcc_delta": m_d.tolist(),
        "mfcc_delta2": delta(m_d).tolist(),
        "fbank": fb.tolist(),
        "energy": energy.tolist(),
        "fbank_delta": fb_d.tolist(),
        "fbank_delta2": delta(fb_d).tolist(),
    }
    sys.stdout.write(json.dumps(out, allow_nan=False) + "\n")  # one write: fast
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
