"""The lab model: sections, steps, actions, probes, expectations; loader, verdicts, progress."""
