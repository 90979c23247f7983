"""Pure Istio/Kubernetes semantics over dicts: kinds, normalisation, validation, diff. No I/O."""
