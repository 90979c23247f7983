"""Pure Istio/Kubernetes semantics over dicts: kinds, keys, normalisation, validation, diff. No I/O."""
