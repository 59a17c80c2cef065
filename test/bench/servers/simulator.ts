import { startDeepSeekSimulator } from '../../../server/simulators/deepseek';

const port = Number(process.argv[2]);
const tokensPerSecond = Number(process.argv[3] ?? '0');
startDeepSeekSimulator({ port, hostname: '127.0.0.1', tokensPerSecond });
console.log('ready');
