package boltstore

// CommitCounts returns how many transactions the group commit wrote and how
// many Saves they held.
func (s *Store) CommitCounts() (txs, saves int64) {
	return s.commits.txs.Load(), s.commits.saves.Load()
}

func (s *Store) CommitNanos() int64 { return s.commits.nanos.Load() }
