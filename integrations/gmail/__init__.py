"""The Gmail adapter: reads the LevelUp group's mail from a member mailbox and replies as the group."""
