package dev.hearth.guest;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Keeps the first {@code cap} bytes written to it and counts the rest, so a chatty command cannot
 * exhaust memory. With a listener it also passes each kept chunk on as text as it arrives,
 * holding back the bytes of a UTF-8 character split between two writes.
 */
final class CappedOutput extends OutputStream {

    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final int cap;
    private final Consumer<String> listener;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(0);
    private long dropped;

    CappedOutput(int cap) {
        this(cap, null);
    }

    CappedOutput(int cap, Consumer<String> listener) {
        this.cap = cap;
        this.listener = listener;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        int room = Math.max(0, cap - kept.size());
        int keep = Math.min(room, length);
        kept.write(bytes, offset, keep);
        dropped += length - keep;
        if (listener != null && keep > 0) {
            listener.accept(decode(bytes, offset, keep));
        }
    }

    private String decode(byte[] bytes, int offset, int length) {
        ByteBuffer input = ByteBuffer.allocate(pending.remaining() + length);
        input.put(pending).put(bytes, offset, length).flip();
        CharBuffer text = CharBuffer.allocate(input.remaining() + 1);
        decoder.decode(input, text, false);
        pending = input.slice();
        return text.flip().toString();
    }

    synchronized String text() {
        return kept.toString(StandardCharsets.UTF_8);
    }

    synchronized boolean truncated() {
        return dropped > 0;
    }
}
