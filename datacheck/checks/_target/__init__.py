"""What ``class_balance`` and ``label_order`` look at when the target is a number."""
