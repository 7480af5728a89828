package dev.electrode.storage;

import java.io.IOException;

/** The journal holds something it cannot serve: a damaged record, a missing segment, or another replica's data. */
public final class CorruptJournalException extends IOException {
    public CorruptJournalException(String message) { super(message); }
}
