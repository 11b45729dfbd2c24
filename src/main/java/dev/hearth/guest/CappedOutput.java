package dev.hearth.guest;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Keeps the first {@code cap} bytes written to it and counts the rest, so a chatty command cannot exhaust memory. */
final class CappedOutput extends OutputStream {

    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final int cap;
    private long dropped;

    CappedOutput(int cap) {
        this.cap = cap;
    }

    @Override
    public synchronized void write(int b) {
        if (kept.size() < cap) {
            kept.write(b);
        } else {
            dropped++;
        }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        int room = Math.max(0, cap - kept.size());
        int keep = Math.min(room, length);
        kept.write(bytes, offset, keep);
        dropped += length - keep;
    }

    synchronized String text() {
        return kept.toString(StandardCharsets.UTF_8);
    }

    synchronized boolean truncated() {
        return dropped > 0;
    }
}
