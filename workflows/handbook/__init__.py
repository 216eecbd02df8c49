"""The monthly case handbook 《服务案例手册》 [003 §6.1]: which cases may go in (``cases``), the
page and its PDF (``render``), publishing and reading handbooks (``operations``)."""
