package dev.electrode.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/** One file of the journal as the journal uses it: appends, reads, a cut, and a force to the disk. */
public interface JournalFile extends AutoCloseable {
    /** Current length in bytes, written or not yet forced. */
    long size() throws IOException;

    /** Appends every remaining byte of {@code data} at the end. */
    void append(ByteBuffer data) throws IOException;

    /** Reads up to {@code dst.remaining()} bytes from {@code position}; returns how many (-1 at the end). */
    int read(long position, ByteBuffer dst) throws IOException;

    /** Cuts the file to {@code size} bytes. */
    void truncate(long size) throws IOException;

    /** Makes everything written so far durable (fsync/fdatasync). */
    void force() throws IOException;

    @Override
    void close() throws IOException;
}
