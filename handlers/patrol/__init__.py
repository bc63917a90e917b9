"""网格巡查: the patrol form, filing with receipts, photos and locations, events through their life-cycle,
withdrawing, weekly summaries and the monthly 巡查台账."""
