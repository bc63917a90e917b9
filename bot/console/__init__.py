"""工作台: the web console the people who run the work open from the WeCom app home page or the DingTalk
micro-app (or by a one-time link the bot sends). Server-rendered pages; the features' own functions underneath."""
