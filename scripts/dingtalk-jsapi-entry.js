// The part of DingTalk's JSAPI the 工作台 needs: its environment, ready(), and requestAuthCode (H5 免登).
var dd = require("dingtalk-jsapi/entry/union");
var requestAuthCode = require("dingtalk-jsapi/api/union/requestAuthCode").default;
window.dd = Object.assign(dd, { requestAuthCode: requestAuthCode });
