package dev.electrode.wire;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds byte arrays field by field, little-endian, for hand-written golden frames. */
final class Bytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Bytes u32(long v) { for (int i = 0; i < 4; i++) out.write((int) (v >>> (8 * i))); return this; }

    Bytes u64(long v) { for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i))); return this; }

    Bytes ascii(String s) { out.writeBytes(s.getBytes(StandardCharsets.US_ASCII)); return this; }

    /** Hex bytes separated by spaces, e.g. "08 00 10 01". */
    Bytes hex(String s) {
        for (String h : s.trim().split("\\s+")) out.write(Integer.parseInt(h, 16));
        return this;
    }

    byte[] build() { return out.toByteArray(); }

    static String toHex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x ", x));
        return sb.toString().trim();
    }
}
