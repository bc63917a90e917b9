"""Durable forms: a report is filled one question at a time, survives restarts (state in Redis), can be
resumed (继续), edited (改一下地点为王家湾), cancelled (取消) and, once filed, withdrawn (撤回) within a window.

A form is a declaration (`FormSpec`: fields with parsers, validators, quick choices and questions, and a
`file` function that writes the record); `engine` runs every declaration the same way.
"""
