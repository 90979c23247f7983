"""The lab model: sections, steps, actions, probes, expectations; the loader; verdicts and progress."""
