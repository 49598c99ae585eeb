"""The names and places the benches' synthetic customers are made of (their ID, mobile and card
numbers come from ``tests/tests_corpus.py``)."""

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇"]
PLACES = ["北京市海淀区中关村大街27号", "广东省深圳市南山区科技园路1号", "上海市浦东新区陆家嘴环路1000号3楼"]
