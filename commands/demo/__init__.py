"""`make demo`: the steps end to end on the local cloud, checked, with what their sessions would cost."""
