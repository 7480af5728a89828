package dev.electrode.storage;

import java.io.IOException;
import java.util.List;

/**
 * The directory a journal lives in: the real file system ({@link FileJournalDirectory}), or a
 * simulated disk for crash tests that drops what was not forced.
 */
public interface JournalDirectory {
    /** Names of the files in the directory, sorted. */
    List<String> list() throws IOException;

    /** Opens {@code name}, creating it (empty) if {@code create} and it does not exist. */
    JournalFile open(String name, boolean create) throws IOException;

    /** Renames {@code from} to {@code to} atomically, replacing {@code to}; durable after {@link #sync}. */
    void rename(String from, String to) throws IOException;

    /** Deletes {@code name}. */
    void delete(String name) throws IOException;

    /** Makes the directory's entries (files created or deleted) durable. */
    void sync() throws IOException;

    /** Where it is, for messages. */
    String describe();
}
