"""The lab model: sections, steps, actions, probes, expectations; loader, step plan, executor,
verdicts, the interface's words. Uses mesh, cluster and traffic."""
