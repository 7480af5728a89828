package dev.electrode.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A journal directory on the file system; files are FileChannels, force is fdatasync. */
public final class FileJournalDirectory implements JournalDirectory {
    private final Path dir;

    /** The directory {@code dir}, created if missing. */
    public FileJournalDirectory(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        if (!Files.isWritable(dir)) throw new IOException("data directory " + dir + " is not writable");
    }

    @Override
    public List<String> list() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = new ArrayList<>();
            s.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
            names.sort(null);
            return names;
        }
    }

    @Override
    public JournalFile open(String name, boolean create) throws IOException {
        FileChannel ch = create
                ? FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(dir.resolve(name), StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new JournalFile() {
            @Override public long size() throws IOException { return ch.size(); }

            @Override public void append(ByteBuffer data) throws IOException {
                long pos = ch.size();
                while (data.hasRemaining()) pos += ch.write(data, pos);
            }

            @Override public int read(long position, ByteBuffer dst) throws IOException { return ch.read(dst, position); }

            @Override public void truncate(long size) throws IOException { ch.truncate(size); }

            @Override public void force() throws IOException { ch.force(false); }

            @Override public void close() throws IOException { ch.close(); }
        };
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Files.move(dir.resolve(from), dir.resolve(to), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(String name) throws IOException { Files.deleteIfExists(dir.resolve(name)); }

    @Override
    public void sync() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public String describe() { return dir.toString(); }
}
