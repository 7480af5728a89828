package dev.electrode.server;

import com.google.protobuf.ByteString;
import dev.electrode.raft.RaftReplica;
import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.Journal;
import dev.electrode.wire.proto.LogEntry;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Raft's hard state and log in the journal's records, and back. */
class RaftDurabilityTest {
    private static LogEntry entry(long term, long index) {
        return LogEntry.newBuilder().setView(term).setOpnum(index)
                .setRequest(Request.newBuilder().setOp(ByteString.copyFromUtf8("op" + index)).setClientid(1).setClientreqid(index)).build();
    }

    @Test
    void theMetaRecordCarriesTermVoteAndCommit() {
        DataDirectory.Recovered r = new DataDirectory.Recovered(null, 0, List.of(entry(2, 1), entry(3, 2)), new Journal.Meta(3, 2 + 1, 1, 0),
                List.of());
        RaftReplica.Restored restored = RaftDurability.restored(r, 3);
        assertEquals(3, restored.term());
        assertEquals(2, restored.votedFor());
        assertEquals(1, restored.commitHint());
        assertEquals(List.of(2L, 3L), restored.entries().stream().map(e -> e.getTerm()).toList());
        assertEquals(List.of(1L, 2L), restored.entries().stream().map(e -> e.getIndex()).toList());
    }

    @Test
    void noMetaRecordMeansTermZeroAndNoVote() {
        RaftReplica.Restored restored = RaftDurability.restored(new DataDirectory.Recovered(null, 0, List.of(), null, List.of()), 3);
        assertEquals(0, restored.term());
        assertEquals(-1, restored.votedFor());
    }

    @Test
    void aVoteForNoReplicaOfTheClusterIsRefused() {
        DataDirectory.Recovered r = new DataDirectory.Recovered(null, 0, List.of(), new Journal.Meta(3, 9, 0, 0), List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RaftDurability.restored(r, 3));
        assertTrue(e.getMessage().contains("vote 8"), e.getMessage());
    }
}
