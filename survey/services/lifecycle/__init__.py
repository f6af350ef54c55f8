"""A wave's life: the stage transitions (``transitions``) and the settings people change (``settings``)."""
